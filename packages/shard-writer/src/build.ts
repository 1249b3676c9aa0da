// The build pipeline: discover -> join labels -> decode in parallel -> write shards in order -> manifest last.
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import {
  DATA_OFFSET,
  MANIFEST_FILE,
  encodeManifest,
  recordLayout,
  recordsPerShard,
  schemaHash,
  type Manifest,
  type Schema,
  type SkippedInput,
} from 'shard-format';
import { discoverSlices } from './discover.js';
import { InputError } from './errors.js';
import { joinLabels, type PlannedSlice } from './join-labels.js';
import { mapOrdered } from './map-ordered.js';
import { resolveOptions, type BuildOptions, type ResolvedOptions } from './options.js';
import { preprocessSlice } from './preprocess.js';
import { ShardSetWriter, writeAtomic } from './shard-set-writer.js';

export interface BuildSummary {
  out: string;
  inputs: number;
  written: number;
  skipped: SkippedInput[];
  /** Label rows that name no image: reported, never silently dropped. */
  warnings: string[];
  shards: number;
  bytes: number;
  seconds: number;
  labelNames: string[];
}

const TOOL = `shard-writer ${(createRequire(import.meta.url)('../package.json') as { version: string }).version}`;

/** Builds a dataset from `input` into `out`. Throws InputError (naming file and row) on bad input under onError 'fail'. */
export async function buildShards(options: BuildOptions): Promise<BuildSummary> {
  const started = performance.now();
  const o = resolveOptions(options);
  await assertFolder(o.input);
  const slices = await discoverSlices(o.input).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(err.path ?? o.input, `cannot be scanned (${err.code ?? err.message})`);
  });
  if (slices.length === 0) throw new InputError(o.input, 'no images found (looked for .png, .jpg, .jpeg, .tif, .tiff)');
  o.onProgress?.({ phase: 'scan', total: slices.length, done: 0, written: 0, skipped: 0 });

  const join = await joinLabels(o.input, slices);
  if (o.onError === 'fail') {
    const first = join.slices.find((s) => s.error)?.error ?? join.orphanRows[0];
    if (first) throw first;
  }
  if (join.labelNames.length === 0) throw new InputError(o.input, 'no usable labels.csv found');

  const schema = makeSchema(o, join.labelNames);
  const hash = schemaHash(schema);
  const perShard = recordsPerShard(o.shardBytes, DATA_OFFSET, schema.record.stride);
  await prepareOutDir(o.out);

  sharp.concurrency(1); // parallelism comes from decoding `workers` images at once, one thread each
  sharp.cache(false); // every file is read once; a cache would only grow memory
  const writer = new ShardSetWriter(o.out, schema, hash, perShard);
  const skipped: SkippedInput[] = [];
  let done = 0;
  try {
    const decoded = mapOrdered(join.slices, o.workers, (s) => (s.error ? Promise.reject(s.error) : preprocessSlice(s.file, o)));
    for (const slice of join.slices) {
      const result = (await decoded.next()).value!;
      if (result.ok) {
        await writer.add(result.value, slice.labels!, slice.key);
      } else {
        const error = asInputError(result.error, slice);
        if (o.onError === 'fail') throw error;
        skipped.push({ file: error.file, reason: error.reason });
      }
      done++;
      o.onProgress?.({ phase: 'write', total: slices.length, done, written: writer.written, skipped: skipped.length });
    }
    await decoded.return(undefined);
  } catch (err) {
    await writer.abort();
    throw err;
  }
  const shards = await writer.finish();
  await removeStaleShards(o.out, new Set(shards.flatMap((s) => [s.file, s.index.file])));

  const manifest: Manifest = {
    format: 'ct-shards',
    version: 1,
    schema,
    schemaHash: hash,
    samples: writer.written,
    recordsPerShard: perShard,
    dataOffset: DATA_OFFSET,
    build: { tool: TOOL, shardBytes: o.shardBytes, inputs: slices.length, written: writer.written, skipped: skipped.map(relativeSkip(o.input)) },
    shards,
  };
  await writeAtomic(o.out, MANIFEST_FILE, encodeManifest(manifest));
  return {
    out: o.out,
    inputs: slices.length,
    written: writer.written,
    skipped,
    warnings: join.orphanRows.map((e) => e.message),
    shards: shards.length,
    bytes: shards.reduce((n, s) => n + s.bytes + s.index.bytes, 0),
    seconds: (performance.now() - started) / 1000,
    labelNames: join.labelNames,
  };
}

async function assertFolder(dir: string): Promise<void> {
  const st = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(dir, err.code === 'ENOENT' ? 'input folder does not exist' : `input folder cannot be read (${err.code})`);
  });
  if (!st.isDirectory()) throw new InputError(dir, 'input is not a folder');
}

function makeSchema(o: ResolvedOptions, labelNames: string[]): Schema {
  return {
    shape: [o.size, o.size, 1],
    dtype: o.dtype,
    labelNames,
    record: recordLayout([o.size, o.size, 1], o.dtype, labelNames.length),
    preprocess: { size: o.size, fit: o.fit, kernel: o.kernel, window: o.window },
  };
}

function asInputError(error: unknown, slice: PlannedSlice): InputError {
  if (error instanceof InputError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new InputError(slice.file, `cannot be decoded (${message.split('\n')[0]})`);
}

/** The manifest goes first, so a dataset being rebuilt never looks complete. */
async function prepareOutDir(out: string): Promise<void> {
  await mkdir(out, { recursive: true });
  await rm(path.join(out, MANIFEST_FILE), { force: true });
}

/** Shards of an earlier, larger build into the same folder would otherwise linger beside the new manifest. */
async function removeStaleShards(out: string, keep: Set<string>): Promise<void> {
  for (const name of await readdir(out)) {
    if (/^shard-\d+\.(bin|index\.json)(\.partial)?$/.test(name) && !keep.has(name)) await rm(path.join(out, name), { force: true });
  }
}

function relativeSkip(root: string): (s: SkippedInput) => SkippedInput {
  return (s) => ({ file: path.relative(root, s.file).split(path.sep).join('/'), reason: s.reason });
}
