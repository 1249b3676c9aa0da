// The schema the format unit tests share: uint16, an odd shape, three labels (so padding and alignment show).
import { recordLayout, type Schema } from '../src/index.js';

export const schema: Schema = {
  shape: [17, 21, 1],
  dtype: 'uint16',
  labelNames: ['a', 'b', 'c'],
  record: recordLayout([17, 21, 1], 'uint16', 3),
  preprocess: { size: 17, fit: 'contain', kernel: 'lanczos3', window: null, windows: null, rescale: null, intensity: 'auto' },
};
