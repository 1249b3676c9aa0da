// `build --part k/n`: writes part k's shards of the whole plan plus its part.json (never a manifest), staged and swapped like a build.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DATA_OFFSET, sha256Hex, type Schema, type ShardEntry, type SkippedInput, type ValueStats } from 'shard-format';
import type { Exclusion } from './discover.js';
import type { Journal } from './journal.js';
import type { PlannedSlice } from './join-labels.js';
import type { ResolvedOptions } from './options.js';
import { partRange, plannedCounts, type PartRange } from './part-plan.js';
import { encodePartRecord, PART_FILE, PART_FORMAT, PART_VERSION, type PartRecord } from './part-record.js';
import { writeAtomic } from './shard-set-writer.js';
import { completeSwap } from './swap.js';
import type { TotalsJson } from './values.js';

export interface PartSummary {
  k: number;
  n: number;
  /** Shards [firstShard, endShard) of the whole plan's totalShards. */
  firstShard: number;
  endShard: number;
  totalShards: number;
  /** SHA-256 of the whole plan: every part of one build prints the same. */
  plan: string;
}

/** What the build's shard writer gives back (build.ts passes it in: the build imports this module, not the reverse). */
export interface WrittenShards {
  entries: ShardEntry[];
  samples: number;
  skipped: SkippedInput[];
  journal: Journal;
  totals: { toJSON(): TotalsJson; stats(): ValueStats | undefined };
}

export interface PartContext {
  slices: PlannedSlice[];
  excluded: Exclusion[];
  schema: Schema;
  layout: { hash: string; perShard: number };
  plan: { hash: string; buildId: string };
  /** Writes the inputs of `range` into the journal of plan `journal`. */
  write: (range: PartRange, journal: string) => Promise<WrittenShards>;
  /** Files of the folder's previous dataset or part: the only ones the swap may delete. */
  ours: Set<string>;
  tool: string;
}

/**
 * Builds part `o.part` into `o.out`. Its summary counts the inputs the part owns (those whose first
 * planned sample falls in its range; part 0 also owns the files left out by name), so the parts'
 * inputs add up to the whole plan's.
 */
export async function writePart(o: ResolvedOptions, c: PartContext) {
  const part = o.part!;
  const counts = await plannedCounts(c.slices);
  const range = partRange(counts, c.layout.perShard, part);
  // Each part resumes only itself; the build id stays the whole plan's, so the shards match a one-machine build.
  const journalPlan = sha256Hex(`${c.plan.hash} part ${part.k}/${part.n}`);
  const shards = await c.write(range, journalPlan);
  const excluded = c.excluded.map((e) => ({ file: e.rel, reason: e.reason }));
  const record: Omit<PartRecord, 'checksum'> = {
    format: PART_FORMAT,
    version: PART_VERSION,
    plan: c.plan.hash,
    buildId: c.plan.buildId,
    part,
    range: { firstShard: range.firstShard, endShard: range.endShard, firstSample: range.firstSample, endSample: range.endSample, totalShards: range.totalShards, totalSamples: range.totalSamples },
    schema: c.schema,
    schemaHash: c.layout.hash,
    recordsPerShard: c.layout.perShard,
    dataOffset: DATA_OFFSET,
    build: { tool: c.tool, shardBytes: o.shardBytes, inputs: c.slices.length + excluded.length, excluded },
    skipped: shards.skipped,
    samples: shards.samples,
    values: shards.totals.toJSON(),
    shards: shards.entries,
    sourceExtensions: await sourceExtensions(shards.journal.dir, shards.entries, c.slices),
  };
  await writeAtomic(shards.journal.dir, PART_FILE, encodePartRecord(record));
  await shards.journal.commit({ old: [...c.ours].sort(), new: shards.entries.flatMap((e) => [e.file, e.index.file]) });
  await completeSwap(o.out);

  // A volume cut by the boundary belongs to the part holding its first sample; its skip is that part's to report.
  const borrowed = range.skipFirst > 0 ? c.slices[range.firstInput]?.rel : undefined;
  const ownSkips = [...(part.k === 0 ? excluded : []), ...shards.skipped.filter((s) => s.file !== borrowed)];
  const inputs = range.endInput - range.firstInput - (borrowed ? 1 : 0) + (part.k === 0 ? excluded.length : 0);
  const values = shards.totals.stats();
  return {
    out: o.out,
    inputs,
    written: inputs - ownSkips.length,
    skipped: ownSkips.map((s) => ({ file: path.join(o.input, s.file), reason: s.reason })),
    samples: shards.samples,
    ...(values ? { values } : {}),
    shards: shards.entries.length,
    bytes: shards.entries.reduce((n, s) => n + s.bytes + s.index.bytes, 0),
    part: { k: part.k, n: part.n, firstShard: range.firstShard, endShard: range.endShard, totalShards: range.totalShards, plan: c.plan.hash },
  };
}

/** Source extensions of the records of shards whose index has no meta list (see PartRecord.sourceExtensions). */
async function sourceExtensions(dir: string, entries: ShardEntry[], slices: PlannedSlice[]): Promise<Record<string, [string, number][]>> {
  const relOf = new Map(slices.filter((s) => !s.format).map((s) => [s.key, s.rel]));
  const out: Record<string, [string, number][]> = {};
  for (const e of entries) {
    const index = JSON.parse(await readFile(path.join(dir, e.index.file), 'utf8')) as { keys: string[]; meta?: unknown };
    if (index.meta) continue;
    const runs: [string, number][] = [];
    for (const key of index.keys) {
      const ext = relOf.get(key)?.slice(key.length) ?? '';
      if (runs.at(-1)?.[0] === ext) runs.at(-1)![1]++;
      else runs.push([ext, 1]);
    }
    out[e.file] = runs;
  }
  return out;
}
