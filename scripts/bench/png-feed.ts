// Helpers for the seed and feed benchmarks: the PNG tree as a user without shards sees it, and timed races between batch pipelines.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
// The build's discovery and label join: internals, by deep path.
import { discoverSlices } from '../../packages/shard-writer/src/discover.js';
import { joinLabels } from '../../packages/shard-writer/src/join-labels.js';

/** One slice file and its label vector, as read from its folder's labels.csv. */
export interface PngSample {
  file: string;
  labels: number[];
}

export interface PngSet {
  samples: PngSample[];
  labelNames: string[];
}

/** Lists the slices and joins their labels once, the way the seed generator's constructor does; any unjoinable slice is an error. */
export async function listPngSet(root: string): Promise<PngSet> {
  const found = await discoverSlices(root);
  if (found.problems.length) throw found.problems[0];
  const joined = await joinLabels(root, found.slices, found.labelFiles);
  const samples: PngSample[] = [];
  for (const s of joined.slices) {
    if (!s.labels) throw s.error ?? new Error(`${s.file}: no labels`);
    samples.push({ file: s.file, labels: s.labels });
  }
  return { samples, labelNames: joined.labelNames };
}

/** The few parts of sharp's API the benchmarks call (sharp's own types are not resolvable from scripts/). */
interface SharpImage {
  toColourspace(space: 'grey16' | 'b-w'): SharpImage;
  raw(options?: { depth?: 'ushort' }): SharpImage;
  toBuffer(options: { resolveWithObject: true }): Promise<{ data: Buffer; info: { width: number; height: number; channels: number } }>;
}
type Sharp = (file: string) => SharpImage;

let sharpFn: Sharp | undefined;

/** sharp is a dependency of shard-writer, not of the workspace root, so it is resolved from shard-writer's own folder. */
function sharp(): Sharp {
  if (!sharpFn) {
    const fromWriter = createRequire(fileURLToPath(import.meta.resolve('shard-writer')));
    sharpFn = fromWriter('sharp') as Sharp;
  }
  return sharpFn;
}

/**
 * Opens and decodes one 16-bit greyscale PNG into `out` (at `offset`) as float32 value / 65535, in [0, 1].
 * Kept at 16 bits: that is what a CT user decodes, and narrowing to 8 bits first would cost libvips an extra step.
 */
export async function decodePngInto(file: string, out: Float32Array, offset = 0): Promise<void> {
  const { data, info } = await sharp()(file).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  const pixels = info.width * info.height * info.channels;
  if (info.channels !== 1 || offset + pixels > out.length) throw new Error(`${file}: decoded to ${info.width}x${info.height}x${info.channels}, which does not fit the batch`);
  const values = new Uint16Array(data.buffer, data.byteOffset, pixels);
  for (let i = 0; i < pixels; i++) out[offset + i] = values[i] / 65535;
}

/** What a timed drain saw. `samplesPerSec` is the steady rate, after the first batch; the first batch's latency is separate. */
export interface DrainResult {
  samples: number;
  batches: number;
  epochs: number;
  /** Wall time from the start of the run to the last batch. */
  seconds: number;
  /** Time to the first batch: pipeline start-up, worker spawn, shuffle-buffer fill. */
  firstBatchMs: number;
  /** Samples after the first batch, and the time they took. */
  steadySamples: number;
  steadySeconds: number;
  /** steadySamples / steadySeconds (the whole-run rate when only one batch came). */
  samplesPerSec: number;
}

/** One epoch of a pipeline: anything with next(), like a tf.data iterator or an async generator. */
export interface EpochIterator<T> {
  next(): Promise<IteratorResult<T>>;
}

/** Fewest batches a drain takes after its first, so a very slow pipeline still gets a rate. */
const MIN_STEADY_BATCHES = 2;

/**
 * Pulls batches for about `seconds` (whole batches; epochs roll over into the next), handing each to `consume`,
 * which disposes or releases it as a training loop would and returns its sample count.
 * `openEpoch` starts the pipeline's next epoch (it keeps its own epoch count, so a pipeline drained again goes on).
 */
export async function drainFor<T>(seconds: number, openEpoch: () => Promise<EpochIterator<T>>, consume: (item: T) => number): Promise<DrainResult> {
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  let samples = 0;
  let batches = 0;
  let epochs = 0;
  let firstAt = 0;
  let firstSamples = 0;
  let lastAt = t0;
  while (lastAt < deadline || batches <= MIN_STEADY_BATCHES) {
    const it = await openEpoch();
    epochs++;
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      const n = consume(r.value);
      lastAt = performance.now();
      samples += n;
      if (batches++ === 0) {
        firstAt = lastAt;
        firstSamples = n;
      }
      if (lastAt >= deadline && batches > MIN_STEADY_BATCHES) break;
    }
    if (batches === 0) throw new Error('the pipeline yielded no batch in a whole epoch');
  }
  const steadySeconds = (lastAt - firstAt) / 1000;
  const steadySamples = samples - firstSamples;
  const samplesPerSec = steadySeconds > 0 ? steadySamples / steadySeconds : (samples * 1000) / (lastAt - t0);
  return { samples, batches, epochs, seconds: (lastAt - t0) / 1000, firstBatchMs: firstAt - t0, steadySamples, steadySeconds, samplesPerSec };
}

/**
 * Several drains of one pipeline as one: their steady samples over their steady time. The first drain's
 * first-batch latency is kept, since that cold start is the one a user waits for.
 */
export function poolDrains(runs: DrainResult[]): DrainResult {
  const sum = (f: (r: DrainResult) => number) => runs.reduce((t, r) => t + f(r), 0);
  const steadySamples = sum((r) => r.steadySamples);
  const steadySeconds = sum((r) => r.steadySeconds);
  return {
    samples: sum((r) => r.samples),
    batches: sum((r) => r.batches),
    epochs: sum((r) => r.epochs),
    seconds: sum((r) => r.seconds),
    firstBatchMs: runs[0].firstBatchMs,
    steadySamples,
    steadySeconds,
    samplesPerSec: steadySeconds > 0 ? steadySamples / steadySeconds : sum((r) => r.samples) / sum((r) => r.seconds),
  };
}

/** One pipeline in a race: `run` drains it for about `seconds` and cleans up after itself. */
export interface Competitor {
  name: string;
  run(seconds: number): Promise<DrainResult>;
}

export interface RaceResult {
  name: string;
  /** The timed rounds pooled. */
  result: DrainResult;
  rounds: DrainResult[];
  /** Time to the first batch of the very first (untimed warm-up) run: start-up as a user meets it. */
  coldFirstBatchMs: number;
}

export interface RaceOptions {
  /** Timed seconds per competitor, split over the rounds. */
  seconds: number;
  rounds: number;
  /** Untimed seconds each competitor runs first: worker threads start and JIT-compile their loops. */
  warmupSeconds: number;
  log(line: string): void;
}

/**
 * Times competitors in interleaved rounds (A B C A B C) after one warm-up run each, so a burst of load
 * from elsewhere on a shared machine lands on all of them rather than on one.
 */
export async function race(competitors: Competitor[], o: RaceOptions): Promise<RaceResult[]> {
  const cold: DrainResult[] = [];
  for (const c of competitors) cold.push(await c.run(o.warmupSeconds));
  const rounds: DrainResult[][] = competitors.map(() => []);
  for (let round = 0; round < o.rounds; round++) {
    for (const [i, c] of competitors.entries()) {
      const r = await c.run(o.seconds / o.rounds);
      rounds[i].push(r);
      o.log(`round ${round + 1}/${o.rounds} ${c.name}: ${r.samplesPerSec.toFixed(0)} samples/s (${r.samples} samples)`);
    }
  }
  return competitors.map((c, i) => ({ name: c.name, result: poolDrains(rounds[i]), rounds: rounds[i], coldFirstBatchMs: cold[i].firstBatchMs }));
}

