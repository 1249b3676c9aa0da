// `--split train=0.8,val=0.1,test=0.1`: named splits and the share of samples each should get.

export interface SplitRatio {
  /** Becomes the split's output folder name. */
  name: string;
  ratio: number;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/** Folder names the split parent itself uses. */
const RESERVED = new Set(['split.json', 'manifest.json']);

/** Parses and checks a split spec: names unique and folder-safe, every ratio in (0, 1], the sum 1. */
export function parseSplitSpec(text: string): SplitRatio[] {
  const parts = text.split(',').map((p) => p.trim());
  const splits = parts.map((part): SplitRatio => {
    const m = /^([^=]+)=(.+)$/.exec(part);
    if (!m) throw new RangeError(`--split: ${JSON.stringify(part)} is not name=ratio (e.g. train=0.8,val=0.1,test=0.1)`);
    const name = m[1].trim();
    const ratio = Number(m[2].trim());
    if (!NAME_RE.test(name) || RESERVED.has(name)) throw new RangeError(`--split: ${JSON.stringify(name)} cannot be a split name (letters, digits, _ and -; it becomes a folder)`);
    if (!Number.isFinite(ratio) || ratio <= 0 || ratio > 1) throw new RangeError(`--split: ratio of ${name} must be a number in (0, 1] (got ${JSON.stringify(m[2].trim())})`);
    return { name, ratio };
  });
  checkRatios(splits, '--split');
  return splits;
}

export function checkRatios(splits: SplitRatio[], where: string): void {
  if (splits.length < 2) throw new RangeError(`${where}: needs at least two splits (got ${splits.length})`);
  const names = splits.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new RangeError(`${where}: split ${dup} is named twice`);
  const sum = splits.reduce((a, s) => a + s.ratio, 0);
  if (Math.abs(sum - 1) > 1e-6) throw new RangeError(`${where}: ratios must add up to 1 (they add up to ${+sum.toFixed(6)})`);
}

export function formatSplitSpec(splits: SplitRatio[]): string {
  return splits.map((s) => `${s.name}=${s.ratio}`).join(',');
}
