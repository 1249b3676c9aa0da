// The build pipeline: discover -> join labels -> decode in parallel -> write shards in order -> manifest last.
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {
  DATA_OFFSET,
  FORMAT_VERSION,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  canonicalJson,
  createSha256,
  encodeManifest,
  recordLayout,
  recordsPerShard,
  schemaHash,
  type Manifest,
  type Schema,
  type SkippedInput,
  type ValueStats,
  type SampleMeta,
  keyProblem,
} from 'shard-format';
import { DecodePool, PNG_POOL_MIN } from './decode-pool.js';
import type { MappedSample, MedicalJob } from './medical-slices.js';
import type { MedicalMeta } from './decode/types.js';
import { FEW_LEVELS, intensityText, ValueTotals } from './values.js';
import { discoverSlices, type Exclusion, type SliceFile } from './discover.js';
import { InputError } from './errors.js';
import { hashInput } from './input-hash.js';
import type { PlannedSlice } from './join-labels.js';
import { joinInputs } from './label-source.js';
import { dicomMetaLookup, internHead } from './dicom-slice-meta.js';
import { seriesPlaces } from './series-order.js';
import { findDatasetRange, needsDatasetRange } from './dataset-range.js';
import { Journal } from './journal.js';
import { acquireLock } from './lock.js';
import { mapOrdered } from './map-ordered.js';
import { checkOutFolder, readOurManifest } from './out-folder.js';
import { resolveOptions, type BuildOptions, type ResolvedOptions } from './options.js';
import { configureDecoder, decodeImage } from './preprocess.js';
import { ShardSetWriter, writeAtomic } from './shard-set-writer.js';
import { completeSwap } from './swap.js';
import { writePart, type PartSummary } from './part-build.js';
import type { PartRange } from './part-plan.js';

export interface BuildSummary {
  out: string;
  inputs: number;
  /** Input files all of whose samples were written (inputs = written + skipped.length). */
  written: number;
  skipped: SkippedInput[];
  /** Samples written: one per PNG/JPEG/TIFF, one per DICOM frame or NIfTI slice. */
  samples: number;
  /** Modality values seen (min, max, 64-bin histogram), pixels clipped to the dtype, images with few grey levels. */
  values?: ValueStats;
  /** Label rows that name no image: reported, never silently dropped. */
  warnings: string[];
  shards: number;
  bytes: number;
  seconds: number;
  labelNames: string[];
  /** `--part k/n` builds: which part of the plan this folder holds (it has a part.json, no manifest). */
  part?: PartSummary;
}

const TOOL = `shard-writer ${(createRequire(import.meta.url)('../package.json') as { version: string }).version}`;

/** Builds a dataset from `input` into `out`. Throws InputError (naming file and row) on bad input under onError 'fail'. */
export async function buildShards(options: BuildOptions): Promise<BuildSummary> {
  const started = performance.now();
  const o = resolveOptions(options);
  await assertFolder(o.input);
  // Medical files decode in worker threads (synchronous JS/WASM); PNG/JPEG/TIFF in sharp's own threads, or
  // these threads for a big tree of plain PNGs. Before that, the same threads read every DICOM header and
  // hash the inputs for the plan, so the main thread neither parses nor hashes and both cores plan.
  const pool = new DecodePool(Math.min(o.workers, os.availableParallelism()));
  try {
    return await buildWith(o, pool, started);
  } finally {
    await pool.close();
  }
}

async function buildWith(o: ResolvedOptions, pool: DecodePool, started: number): Promise<BuildSummary> {
  const scan = (file: string) => pool.scan(file, true).then(({ head, content }) => ({ ...(head ? { head: internHead(head) } : {}), ...(content ? { content } : {}) }));
  // The threads start as soon as the walk shows they will be used (a medical file, or a big PNG tree), so
  // their start-up overlaps the rest of the walk.
  let pngs = 0;
  const onSlice = (s: SliceFile) => {
    if (s.format || ++pngs === PNG_POOL_MIN) pool.warm();
  };
  const { slices: found, excluded: allExcluded, labelFiles, problems } = await discoverSlices(o.input, { scan, onSlice }).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(err.path ?? o.input, `cannot be scanned (${err.code ?? err.message})`);
  });
  if (found.length === 0) {
    const also = allExcluded.length ? `; ${allExcluded.length} image file(s) left out, e.g. ${path.join(o.input, allExcluded[0].rel)}: ${allExcluded[0].reason}` : '';
    throw new InputError(o.input, `no images found (looked for .png, .jpg, .jpeg, .tif, .tiff, .dcm, .nii, .nii.gz and DICOM files with DICM at byte 128)${also}`);
  }
  const fatal = allExcluded.find((e) => e.fatal);
  if (fatal && o.onError === 'fail') throw new InputError(path.join(o.input, fatal.rel), fatal.reason);
  // One split of a split build counts the files left out by name, so the parent's inputs add up once.
  const excluded = o.only && !o.countExcluded ? [] : allExcluded;

  // Labels are joined over the whole tree (a tree label file names every split's slices), then narrowed to `only`.
  const joined = await joinInputs(o.input, found, labelFiles, o.labels, dicomMetaLookup(found));
  const join = o.only ? { ...joined, slices: joined.slices.filter((s) => o.only!.has(s.key)) } : joined;
  const slices = join.slices;
  if (slices.length === 0) throw new InputError(o.input, 'no images selected for this build');
  o.onProgress?.({ phase: 'scan', total: slices.length, done: 0, written: 0, skipped: 0 });
  if (o.onError === 'fail') {
    const first = problems[0] ?? join.slices.find((s) => s.error)?.error ?? join.orphanRows[0];
    if (first) throw first;
  }
  if (join.labelNames.length === 0) throw new InputError(o.labels?.file ?? o.input, o.labels ? 'has no labels' : 'no usable labels.csv found');
  // Before the schema, which records the range (so a rerun of the same data resumes: it finds the same one).
  if (needsDatasetRange(o)) o.intensity = await findDatasetRange(o, slices);

  const schema = makeSchema(o, join.labelNames);
  const layout = { hash: schemaHash(schema), perShard: recordsPerShard(o.shardBytes, DATA_OFFSET, schema.record.stride) };
  await checkOutFolder(o.out); // refuse a folder that is not ours before writing anything into it
  const lock = acquireLock(o.out);
  // A big PNG tree decodes in the decoder threads too (started during the walk, see onSlice).
  const pngInPool = slices.filter((s) => !s.format).length >= PNG_POOL_MIN;
  try {
    // A swap a killed build began is finished first: the folder then holds one whole dataset again.
    await completeSwap(o.out);
    const { ours } = await checkOutFolder(o.out);
    const plan = await buildPlan(o, join.slices, excluded, schema, pool);
    const decoders = pngInPool ? { pool, png: true } : { pool };
    if (o.part) {
      const write = (range: PartRange, journal: string) => writeShards(o, join.slices, [], schema, layout, { ...plan, journal }, decoders, range);
      const done = await writePart(o, { slices: join.slices, excluded, schema, layout, plan, ours, tool: TOOL, write });
      return { ...done, warnings: [...[...problems, ...join.orphanRows].map((e) => e.message), ...join.notes], seconds: (performance.now() - started) / 1000, labelNames: join.labelNames };
    }
    const shards = await writeShards(o, join.slices, excluded, schema, layout, plan, decoders);
    const inputs = slices.length + excluded.length;
    const values = shards.totals.stats();
    const manifest: Omit<Manifest, 'checksum'> = {
      format: MANIFEST_FORMAT,
      version: FORMAT_VERSION,
      schema,
      schemaHash: layout.hash,
      buildId: plan.buildId,
      samples: shards.samples,
      recordsPerShard: layout.perShard,
      dataOffset: DATA_OFFSET,
      build: { tool: TOOL, shardBytes: o.shardBytes, inputs, written: inputs - shards.skipped.length, skipped: shards.skipped },
      ...(values ? { values } : {}),
      shards: shards.entries,
    };
    // Staged beside the old dataset until now; the swap replaces it and deletes only files its manifest named.
    await writeAtomic(shards.journal.dir, MANIFEST_FILE, encodeManifest(manifest));
    await shards.journal.commit({ old: [...ours].sort(), new: shards.entries.flatMap((e) => [e.file, e.index.file]) });
    await completeSwap(o.out);
    return {
      out: o.out,
      inputs,
      written: inputs - shards.skipped.length,
      skipped: shards.skipped.map((k) => ({ file: path.join(o.input, k.file), reason: k.reason })),
      samples: shards.samples,
      ...(values ? { values } : {}),
      warnings: [...[...problems, ...join.orphanRows].map((e) => e.message), ...join.notes, ...collapseWarning(o, values, shards.samples)],
      shards: shards.entries.length,
      bytes: shards.entries.reduce((n, s) => n + s.bytes + s.index.bytes, 0),
      seconds: (performance.now() - started) / 1000,
      labelNames: join.labelNames,
    };
  } catch (err) {
    throw asDiskError(err, o.out);
  } finally {
    lock.release();
  }
}

/**
 * Decodes and writes every slice, resuming after the shards an interrupted run of the same plan
 * completed. Skipped inputs are returned with paths relative to the input root.
 */
async function writeShards(o: ResolvedOptions, allSlices: PlannedSlice[], excluded: Exclusion[], schema: Schema, layout: { hash: string; perShard: number }, plan: BuildPlan, { pool, png }: { pool: DecodePool; png?: boolean }, range?: PartRange) {
  // A part writes only its inputs (and of a volume cut by a part boundary, only its samples), numbered as in the whole plan.
  const slices = range ? allSlices.slice(range.firstInput, range.endInput) : allSlices;
  const journal = new Journal(o.out, plan.journal ?? plan.hash);
  const resume = await journal.resume();
  // Files left out by name come first; they are decided by the plan, so a resumed run lists them the same way.
  const skipped: SkippedInput[] = [...excluded.map((e) => ({ file: e.rel, reason: e.reason })), ...resume.skipped];
  let sinceLastShard: SkippedInput[] = [];
  // Inputs handled once the shard being closed is complete: the current input while writing, all at the end.
  let consumedAtClose = resume.inputsConsumed;
  let samplesIntoAtClose = resume.samplesInto;
  // Value statistics go into the journal per shard, so a resumed build's manifest sees every sample.
  const totals = resume.values;
  let shardTotals = new ValueTotals();
  const origin = range ? { shard: range.firstShard, sample: range.firstSample } : undefined;
  const writer: ShardSetWriter = new ShardSetWriter(journal.dir, schema, layout.hash, plan.buildId, layout.perShard, resume.shards, async (entry) => {
    await journal.record(writer.shards.length - 1, { entry, inputsConsumed: consumedAtClose, samplesInto: samplesIntoAtClose, skipped: sinceLastShard, values: shardTotals.toJSON() });
    totals.merge(shardTotals);
    shardTotals = new ValueTotals();
    sinceLastShard = [];
    await o.onShardWritten?.(journal.dir, entry);
  }, origin, (): number => expected - writer.written);

  configureDecoder();
  const todo = slices.slice(resume.inputsConsumed);
  // The samples the build will hold if every input is written (a frame count from each DICOM header; a
  // volume's is unknown): the writer hashes a short last shard as it writes it when this comes true.
  const expected: number = writer.written - resume.samplesInto + todo.reduce((n, s) => n + (s.error ? 0 : s.format === 'nifti' ? Infinity : (s.dicom?.frames ?? 1)), 0);
  // Only these fields: the options may go to a worker thread (no callbacks).
  const image = { size: o.size, dtype: o.dtype, fit: o.fit, kernel: o.kernel, windows: fixedWindows(o), rescale: o.rescale, intensity: o.intensity };
  // Over the whole plan, not `todo`: a resumed build writes the same series positions.
  const places = seriesPlaces(slices);
  const job: MedicalJob = { size: o.size, fit: o.fit, kernel: o.kernel, values: valueOptions(o), dicomWindow: o.window === 'dicom' };
  const decoded = mapOrdered(todo, pool.inFlight(todo, o.workers, png === true), (s): Promise<MappedSample[] | { bytes: Uint8Array; stats: MappedSample['stats'] }[]> =>
    s.error ? Promise.reject(s.error) : s.format ? pool.run(s.file, job) : decodeImage(s.file, png ? pool : undefined, image).then((p) => [p]),
  );
  try {
    for (const [i, slice] of todo.entries()) {
      const done = resume.inputsConsumed + i + 1;
      const result = (await decoded.next()).value!;
      const samples = result.ok ? result.value : [];
      const planned = range?.counts[resume.inputsConsumed + i];
      const problem = result.ok ? (samplesProblem(slice, samples as MappedSample[]) ?? countProblem(slice, samples.length, planned)) : result.error;
      if (!problem) {
        const atStart = resume.inputsConsumed + i === 0;
        const first = i === 0 ? Math.max(resume.samplesInto, atStart ? (range?.skipFirst ?? 0) : 0) : 0;
        const end = done === slices.length && range?.takeLast !== undefined ? range.takeLast : samples.length;
        for (let j = first; j < end; j++) {
          const sample = samples[j];
          // A shard that closes inside a volume records how far into it the build got, so a resume continues there.
          const last = j === end - 1;
          consumedAtClose = last ? done : done - 1;
          samplesIntoAtClose = last ? 0 : j + 1;
          shardTotals.add(sample.stats);
          const key = slice.key + ('suffix' in sample ? sample.suffix : '');
          await writer.add(sample.bytes, slice.labels!, key, 'meta' in sample ? { ...sampleMeta(slice.rel, sample.meta), ...places.get(key) } : { source: slice.rel });
        }
      } else {
        const error = asInputError(problem, slice);
        if (o.onError === 'fail') throw error;
        const skip = { file: slice.rel, reason: error.file === slice.file ? error.reason : error.message };
        skipped.push(skip);
        sinceLastShard.push(skip);
      }
      o.onProgress?.({ phase: 'write', total: slices.length, done, written: writer.written, skipped: skipped.length });
    }
    consumedAtClose = slices.length;
    samplesIntoAtClose = 0;
    const entries = await writer.finish();
    return { entries, samples: writer.written, skipped, journal, totals };
  } catch (err) {
    await decoded.return(undefined);
    await writer.abort();
    throw err;
  }
}

/** What the index keeps of a decoded image's metadata: the source relative to the input root (the same on every machine) and the DICOM/NIfTI attributes that place it. */
function sampleMeta(rel: string, m: MedicalMeta): SampleMeta {
  const out: SampleMeta = { source: rel };
  const copy = <K extends keyof SampleMeta & keyof MedicalMeta>(k: K) => {
    if (m[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = m[k];
  };
  for (const k of ['patientId', 'studyInstanceUid', 'seriesInstanceUid', 'sopInstanceUid', 'instanceNumber', 'imagePositionPatient', 'imageOrientationPatient', 'pixelSpacing', 'sliceThickness', 'frame', 'k', 't'] as const) copy(k);
  // Vectors of the wrong length (a malformed attribute) are left out rather than refused by the index check.
  for (const [k, n] of [['imagePositionPatient', 3], ['imageOrientationPatient', 6], ['pixelSpacing', 2]] as const) if (out[k] && out[k]!.length !== n) delete out[k];
  if (out.instanceNumber !== undefined && !Number.isFinite(out.instanceNumber)) delete out.instanceNumber;
  return out;
}

/** A part build placed the file's samples by its header's count: a file that decodes to another count is not written. */
function countProblem(slice: PlannedSlice, got: number, planned: number | undefined): InputError | undefined {
  if (planned === undefined || got === planned) return undefined;
  return new InputError(slice.file, `decodes to ${got} images, but its header said ${planned} (a --part build places samples by the header's count)`);
}

/** Why a medical file's decoded samples cannot be written as they are, or undefined. */
function samplesProblem(slice: PlannedSlice, samples: MappedSample[]): InputError | undefined {
  if (samples.length === 0) return new InputError(slice.file, 'holds no image');
  // The key order was planned from the file's header: a file that decodes to other keys is not written.
  if (!slice.format) return undefined;
  if (samples.length > 1 !== Boolean(slice.many)) return new InputError(slice.file, `decodes to ${samples.length} images, but its header said ${slice.many ? 'several' : 'one'}`);
  for (const s of samples) {
    const why = keyProblem(slice.key + s.suffix);
    if (why) return new InputError(slice.file, `cannot be a sample key: ${slice.key + s.suffix} ${why}`);
  }
  return undefined;
}

function fixedWindows(o: ResolvedOptions) {
  return o.windows ?? (o.window && o.window !== 'dicom' ? [o.window] : null);
}

function valueOptions(o: ResolvedOptions) {
  return { dtype: o.dtype, windows: fixedWindows(o), intensity: o.intensity };
}

/** One line when most images came out with few grey levels: the range seen and the option to use. */
function collapseWarning(o: ResolvedOptions, values: ValueStats | undefined, samples: number): string[] {
  if (!values || samples === 0 || values.fewLevels * 2 <= samples) return [];
  return [
    `${values.fewLevels} of ${samples} images have fewer than ${FEW_LEVELS} grey levels after --intensity ${intensityText(o.intensity)} (values seen ${values.min}..${values.max}); ` +
      `use --intensity minmax or percentile, or --window <center>,<width> for CT`,
  ];
}

interface BuildPlan {
  /** SHA-256 of everything that decides the output bytes: a rerun resumes only when it is equal. */
  hash: string;
  /** The journal's plan when it is not `hash` (a part of the plan resumes only the same part). */
  journal?: string;
  /** The first 16 bytes of `hash`: written into every shard header and mixed into every key CRC. */
  buildId: string;
}

/**
 * Everything that decides the output bytes: options, schema, and each input's path, size, content
 * hash and labels. Content, not mtime: a file rewritten with the same size and `touch -r` is a
 * different plan, and the same files in another clone or on another machine are the same plan, so
 * identical builds stay byte-identical while builds of different data never share a build id.
 */
async function buildPlan(o: ResolvedOptions, slices: PlannedSlice[], excluded: Exclusion[], schema: Schema, pool: DecodePool): Promise<BuildPlan> {
  // Hashed as it goes, a few dozen files at a time: memory and open files stay flat however many inputs.
  // Files left out by name change the manifest, so they are part of the plan (only when there are any: a
  // tree without them keeps the build id it always had).
  const h = createSha256();
  h.update(Buffer.from(canonicalJson({ tool: TOOL, format: FORMAT_VERSION, schema, shardBytes: o.shardBytes, onError: o.onError, ...(excluded.length ? { excluded } : {}) })));
  const CHUNK = 64;
  for (let i = 0; i < slices.length; i += CHUNK) {
    const rows = await Promise.all(
      slices.slice(i, i + CHUNK).map(async (s) => {
        // Discovery hashed DICOM files already; the rest are hashed in the decoder threads when they run.
        const content = s.content ?? (pool.started ? (await pool.scan(s.file, false)).content : await hashInput(s.file));
        return JSON.stringify([s.rel, content?.size ?? -1, content?.sha256 ?? null, s.labels ?? s.error?.message ?? null]);
      }),
    );
    h.update(Buffer.from(rows.join('\n') + '\n'));
  }
  const hash = h.hex();
  return { hash, buildId: hash.slice(0, 32) };
}

async function assertFolder(dir: string): Promise<void> {
  const st = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(dir, err.code === 'ENOENT' ? 'input folder does not exist' : `input folder cannot be read (${err.code})`);
  });
  if (!st.isDirectory()) throw new InputError(dir, 'input is not a folder');
  if (Array.isArray(readOurManifest(path.join(dir, MANIFEST_FILE)))) {
    throw new InputError(dir, `is a shard dataset folder (it holds our ${MANIFEST_FILE}), not a slice tree; build reads <patient>/<slice>.png folders with labels.csv`);
  }
}

function makeSchema(o: ResolvedOptions, labelNames: string[]): Schema {
  const shape: [number, number, number] = [o.size, o.size, o.windows ? o.windows.length : 1];
  return {
    shape,
    dtype: o.dtype,
    labelNames,
    record: recordLayout(shape, o.dtype, labelNames.length),
    preprocess: { size: o.size, fit: o.fit, kernel: o.kernel, window: o.window, windows: o.windows, rescale: o.rescale, intensity: intensityText(o.intensity) },
  };
}

function asInputError(error: unknown, slice: PlannedSlice): InputError {
  if (error instanceof InputError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new InputError(slice.file, `cannot be decoded (${message.split('\n')[0]})`);
}

/** Out of disk space is the user's to fix: say so, with the path. */
function asDiskError(err: unknown, out: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') return new InputError(e.path ?? out, `out of disk space (${e.code}) while writing the dataset; free space and run the same command again to resume`);
  return err;
}
