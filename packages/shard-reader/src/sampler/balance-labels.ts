// `balance: 'labels'`: weights that draw every label about equally often, whatever its prevalence.
//
// Classes are the labels (a sample is in class j when label j > 0) plus "no label positive". Each
// sample weighs 1 / (size of its rarest class), so each non-empty class carries total weight of at
// least 1 and a rare label is drawn about as often as a common one (overlap between labels shifts
// this a little; a sample with two rare labels counts for its rarest).
import type { WeightSource } from './types.js';

export const balanceLabels: WeightSource = (labels, labelCount) => {
  const n = labelCount === 0 ? 0 : labels.length / labelCount;
  const classSize = new Float64Array(labelCount + 1);
  const none = labelCount;
  for (let i = 0; i < n; i++) {
    let any = false;
    for (let j = 0; j < labelCount; j++) if (labels[i * labelCount + j] > 0) (classSize[j]++, (any = true));
    if (!any) classSize[none]++;
  }
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let rarest = Infinity;
    for (let j = 0; j < labelCount; j++) if (labels[i * labelCount + j] > 0) rarest = Math.min(rarest, classSize[j]);
    weights[i] = 1 / (rarest === Infinity ? classSize[none] : rarest);
  }
  return weights;
};
