// Walker/Vose alias table: O(n) to build, then one uniform number per weighted draw in O(1).

export interface AliasTable {
  n: number;
  /** Probability of keeping column i (else take alias[i]). */
  keep: Float64Array;
  alias: Uint32Array;
}

/** Checks the weights and builds the table; errors name the first bad sample index. */
export function aliasTable(weights: ArrayLike<number>): AliasTable {
  const n = weights.length;
  if (n === 0) throw new RangeError('weights is empty');
  if (n >= 2 ** 32) throw new RangeError('too many weights');
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    if (!(Number.isFinite(w) && w >= 0)) throw new RangeError(`weight of sample ${i} must be a finite number >= 0 (got ${w})`);
    sum += w;
  }
  if (!(sum > 0) || !Number.isFinite(sum)) throw new RangeError('weights must not all be zero (and must have a finite sum)');
  const keep = new Float64Array(n);
  const alias = new Uint32Array(n);
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < n; i++) {
    keep[i] = (weights[i] * n) / sum;
    (keep[i] < 1 ? small : large).push(i);
  }
  while (small.length && large.length) {
    const s = small.pop()!;
    const l = large[large.length - 1];
    alias[s] = l;
    keep[l] = keep[l] + keep[s] - 1;
    if (keep[l] < 1) small.push(large.pop()!);
  }
  // What is left is 1 up to rounding: always keep it.
  for (const i of large) (keep[i] = 1), (alias[i] = i);
  for (const i of small) (keep[i] = 1), (alias[i] = i);
  return { n, keep, alias };
}
