// Proves a split parent does not leak: no group and no identical image (same pixel hash) in two
// splits, and every split holds exactly the samples split.json assigns to it. Reads the shards.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { MANIFEST_FILE } from 'shard-format';
import { CorruptRecordError, openDataset, type Dataset, type Pixels, type Problem } from 'shard-reader';
import { groupOf, parseGroupBy, type SplitDocument } from 'shard-writer';

/** Beyond this many leakage findings the rest are counted in one line. */
const MAX_FINDINGS = 100;
/** Group names made from DICOM tags cannot be recomputed from a key. */
const TAG_GROUP = /^(PatientID|StudyInstanceUID|SeriesInstanceUID):/;

export interface LeakageOptions {
  /** Also hash every image to find identical pixels in two splits (reads every record). Default true. */
  pixels?: boolean;
}

export async function checkSplitLeakage(parent: string, doc: SplitDocument, o: LeakageOptions = {}): Promise<Problem[]> {
  const problems: Problem[] = [];
  let hidden = 0;
  const add = (p: Problem) => (problems.length < MAX_FINDINGS ? problems.push(p) : hidden++);
  const groupBy = parseGroupBy(doc.groupBy);
  const groupOfKey = new Map<string, string>();
  for (const [g, v] of Object.entries(doc.groups)) for (const k of v.keys) groupOfKey.set(k, g);

  const splitOfKey = new Map<string, string>();
  /** Group recomputed from the key -> split -> one key there, for the message. */
  const derived = new Map<string, Map<string, string>>();
  const pixelOwner = new Map<string, { split: string; key: string }>();
  for (const split of Object.keys(doc.ratios)) {
    const dir = path.join(parent, split);
    const expected = Object.values(doc.groups).reduce((n, g) => n + (g.split === split ? g.keys.length : 0), 0);
    if (!existsSync(path.join(dir, MANIFEST_FILE))) {
      if (expected > 0) add({ file: split, message: `missing: split.json puts ${expected} samples in this split` });
      continue;
    }
    let ds: Dataset;
    try {
      ds = await openDataset(dir, { workers: 0 });
    } catch (err) {
      add({ file: split, message: `cannot be checked for leakage (${(err as Error).message})` });
      continue;
    }
    try {
      if (ds.size !== expected) add({ file: split, message: `holds ${ds.size} samples; split.json puts ${expected} here` });
      for (let i = 0; i < ds.size; i++) {
        const key = ds.keys[i];
        const other = splitOfKey.get(key);
        if (other !== undefined) add({ file: split, key, message: `sample is also in ${other}` });
        splitOfKey.set(key, split);
        const group = groupOfKey.get(key);
        if (group === undefined) add({ file: split, key, message: 'sample is in no group of split.json' });
        else if (doc.groups[group].split !== split) add({ file: split, key, message: `group ${group} is in ${doc.groups[group].split} (split.json), this sample of it is in ${split}` });
        if (group === undefined || !TAG_GROUP.test(group)) {
          const g = groupOf(key, groupBy);
          let where = derived.get(g);
          if (!where) derived.set(g, (where = new Map()));
          if (!where.has(split)) where.set(split, key);
        }
        if (o.pixels ?? true) {
          let image: Pixels;
          try {
            image = ds.image(i);
          } catch (err) {
            if (err instanceof CorruptRecordError) continue; // damage, reported by the integrity check
            throw err;
          }
          const hash = createHash('sha256').update(new Uint8Array(image.buffer, image.byteOffset, image.byteLength)).digest('hex');
          const first = pixelOwner.get(hash);
          if (!first) pixelOwner.set(hash, { split, key });
          else if (first.split !== split) add({ file: split, key, message: `identical image to ${first.split}/${first.key} (same pixels in two splits)` });
        }
      }
    } finally {
      await ds.close();
    }
  }
  for (const [g, where] of derived) {
    if (where.size > 1) add({ message: `group ${g} (${doc.groupBy}) is in ${where.size} splits: ${[...where].map(([s, k]) => `${s} (${k})`).join(', ')}` });
  }
  if (hidden > 0) problems.push({ message: `${hidden} more leakage findings not listed` });
  return problems;
}
