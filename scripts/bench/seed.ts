// Benchmark 4: the seed's design (a Keras-Sequence-style PNG generator) and a tf.data PNG pipeline versus our reader, all feeding the same {xs, ys} tensors.
import * as tf from '@tensorflow/tfjs';
import { openDataset } from 'shard-reader';
import { toTfDataset } from 'shard-reader/tfjs';
import { ensureShards, ensureSource, readSetSpec } from './data.js';
import { decodePngInto, drainFor, listPngSet, race, type Competitor, type EpochIterator, type PngSet, type RaceResult } from './png-feed.js';
import { fmt, type Bench, type BenchContext, type BenchTable, type TargetCheck } from './types.js';

const BATCH = 32;
const TARGET_RATIO = 20;

// A type alias, not an interface, so it fits tf.TensorContainer's index signature.
type XY = { xs: tf.Tensor4D; ys: tf.Tensor2D };

/**
 * The seed article's CTScanGenerator, in TypeScript: `length` (__len__), `getItem(index)` (__getitem__) and
 * `onEpochEnd()` (on_epoch_end). As in the article, files and labels are listed once in the constructor,
 * the sample-index order is reshuffled at every epoch end (the constructor calls it once too), and every
 * batch opens and decodes its PNG files again. The batch's files are decoded concurrently ("use all CPU
 * cores"): sharp runs them on libuv's thread pool.
 */
export class CtScanSequence {
  readonly length: number;
  private readonly indices: Uint32Array;

  constructor(
    private readonly set: PngSet,
    private readonly size: number,
    private readonly batchSize = BATCH,
    private readonly shuffle = true,
  ) {
    this.length = Math.ceil(set.samples.length / batchSize);
    this.indices = Uint32Array.from(set.samples.keys());
    this.onEpochEnd();
  }

  async getItem(index: number): Promise<XY> {
    const batch = this.indices.subarray(index * this.batchSize, (index + 1) * this.batchSize);
    const pixels = this.size * this.size;
    const xs = new Float32Array(batch.length * pixels);
    const labelCount = this.set.labelNames.length;
    const ys = new Float32Array(batch.length * labelCount);
    await Promise.all(
      Array.from(batch, (sample, i) => {
        ys.set(this.set.samples[sample].labels, i * labelCount);
        return decodePngInto(this.set.samples[sample].file, xs, i * pixels);
      }),
    );
    return { xs: tf.tensor4d(xs, [batch.length, this.size, this.size, 1]), ys: tf.tensor2d(ys, [batch.length, labelCount]) };
  }

  onEpochEnd(): void {
    if (!this.shuffle) return;
    // Fisher-Yates, as np.random.shuffle does.
    for (let i = this.indices.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [this.indices[i], this.indices[j]] = [this.indices[j], this.indices[i]];
    }
  }
}

/** How a training loop walks a Sequence: getItem(0..length-1), then onEpochEnd(). */
async function* sequenceEpoch(seq: CtScanSequence): AsyncGenerator<XY, void, undefined> {
  for (let i = 0; i < seq.length; i++) yield await seq.getItem(i);
  seq.onEpochEnd();
}

/** The tf.data route a user would write instead: a per-sample generator that decodes with sharp, then shuffle/batch/prefetch. */
function pngTfDataset(set: PngSet, size: number) {
  // Sample tensors not yet batched, so the benchmark can free a shuffle buffer that an abandoned iterator still holds.
  const unbatched = new Set<tf.Tensor>();
  const track = (t: tf.Tensor) => {
    if (unbatched.size > 4 * 1024) for (const u of unbatched) if (u.isDisposed) unbatched.delete(u);
    unbatched.add(t);
    return t;
  };
  async function* samples() {
    for (const s of set.samples) {
      const pixels = new Float32Array(size * size);
      await decodePngInto(s.file, pixels);
      yield { xs: track(tf.tensor3d(pixels, [size, size, 1])), ys: track(tf.tensor1d(s.labels, 'float32')) };
    }
  }
  // batch() stacks each field (and disposes the sample tensors), so elements become XY; tf.data's typing loses the fields.
  const dataset = tf.data.generator(samples).shuffle(256).batch(BATCH).prefetch(2) as unknown as tf.data.Dataset<XY>;
  const freeUnbatched = () => {
    for (const t of unbatched) if (!t.isDisposed) t.dispose();
    unbatched.clear();
  };
  return { dataset, freeUnbatched };
}

/** A consumer that does what a training step does with a batch it has used: dispose both tensors. */
function disposeBatch({ xs, ys }: XY): number {
  const n = xs.shape[0];
  xs.dispose();
  ys.dispose();
  return n;
}

/**
 * A tf.data pipeline abandoned mid-epoch keeps decoding for its prefetch buffer in the background: wait until
 * it has stopped creating tensors, so its work neither steals CPU from the next run nor counts as that run's leftovers.
 */
async function settle(): Promise<void> {
  const pollMs = 100;
  let last = -1;
  for (let quiet = 0, polls = 0; quiet < 3 && polls < 100; polls++) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    const now = tf.memory().numTensors;
    quiet = now === last ? quiet + 1 : 0;
    last = now;
  }
}

/** A competitor feeding XY batches, plus the tensors its runs left behind (runs stop mid-epoch). */
interface TensorCompetitor extends Competitor {
  tensorsLeft: number;
  close(): Promise<void>;
}

/** `afterRun` frees what a run stopped mid-epoch still holds, where the pipeline allows it. */
function tensorCompetitor(name: string, openEpoch: () => Promise<EpochIterator<XY>>, close: () => Promise<void>, afterRun = () => {}): TensorCompetitor {
  const c: TensorCompetitor = {
    name,
    tensorsLeft: 0,
    close,
    async run(seconds) {
      const before = tf.memory().numTensors;
      const r = await drainFor(seconds, openEpoch, disposeBatch);
      await settle();
      afterRun();
      c.tensorsLeft += tf.memory().numTensors - before;
      return r;
    },
  };
  return c;
}

async function sequenceCompetitor(src: string, size: number): Promise<TensorCompetitor> {
  // Listing and label parsing are the generator's construction, done once before training: not timed.
  const seq = new CtScanSequence(await listPngSet(src), size);
  return tensorCompetitor('seed-style Sequence', async () => sequenceEpoch(seq), async () => {});
}

async function tfDataCompetitor(src: string, size: number): Promise<TensorCompetitor> {
  const { dataset, freeUnbatched } = pngTfDataset(await listPngSet(src), size);
  // Its iterators cannot be closed: the shuffle buffer of one stopped mid-epoch is freed by hand.
  return tensorCompetitor('tf.data.generator over PNGs', () => dataset.iterator(), async () => freeUnbatched(), freeUnbatched);
}

async function readerCompetitor(shards: string): Promise<TensorCompetitor> {
  const ds = await openDataset(shards);
  const dataset = toTfDataset(ds, tf, { batchSize: BATCH, seed: 1, shuffle: 'global' });
  // The adapter yields {xs: Tensor4D, ys: Tensor2D}; its tf.data type only says TensorContainer.
  return tensorCompetitor('shard-reader + toTfDataset', () => dataset.iterator() as Promise<EpochIterator<XY>>, () => ds.close());
}

const ROUNDS = 2;
const WARMUP_SECONDS = 1;

function table(ctx: BenchContext, runs: RaceResult[], competitors: TensorCompetitor[], samples: number): BenchTable {
  const base = runs[0].result.samplesPerSec;
  return {
    title: `The seed's design vs our reader: ${BATCH}-sample batches of {xs: float32 [${BATCH},256,256,1] in [0,1], ys: float32 [${BATCH},5]}, ${samples} slices`,
    command: `pnpm bench --only seed${ctx.quick ? ' --quick' : ''}`,
    columns: ['pipeline', 'samples/s', 'vs seed-style', 'per round', 'cold first batch ms', 'samples timed', 'tensors left'],
    rows: runs.map((r, i) => [
      r.name,
      fmt.rate(r.result.samplesPerSec),
      fmt.ratio(r.result.samplesPerSec / base),
      r.rounds.map((d) => fmt.rate(d.samplesPerSec)).join(' / '),
      r.coldFirstBatchMs.toFixed(0),
      r.result.samples,
      competitors[i].tensorsLeft,
    ]),
    notes: [
      'All three run in this process on the same generated slices: the PNG pipelines read the 16-bit source tree, our reader the uint8 shards built from it.',
      `samples/s is the steady rate after each run's first batch, pooled over ${ROUNDS} interleaved rounds of about ${(ctx.seconds / ROUNDS).toFixed(1)} s each (whole batches, xs and ys disposed as a training step would); every pipeline first runs ${WARMUP_SECONDS} s untimed (worker start, JIT), and cold first batch ms is from that run.`,
      "Seed-style: files and labels.csv listed once; every batch opens and decodes its PNGs with sharp (16-bit grey / 65535: sharp's 16-bit path, which decoded these files faster than its 8-bit 'b-w' one when this benchmark was written), the batch's files decoded concurrently on libuv's thread pool; sample order reshuffled at each epoch end, as in the article.",
      'tf.data: a per-sample async generator decoding with sharp, then .shuffle(256).batch(32).prefetch(2). "tensors left" is what it still holds after runs stopped mid-epoch (prefetched batches): tf.data iterators cannot be closed, so the benchmark frees their shuffle buffers by hand.',
      'Ours: openDataset (defaults) + toTfDataset(batchSize 32, seed 1, global shuffle), iterated with iterator().next() like the others.',
    ],
  };
}

export const seedBench: Bench = async (ctx) => {
  const spec = readSetSpec(ctx);
  const src = await ensureSource(ctx, spec);
  const shards = await ensureShards(ctx, src, ctx.quick ? 'read-quick' : 'read-full', { size: 256 });
  await tf.ready();
  const competitors = [await sequenceCompetitor(src, spec.size), await tfDataCompetitor(src, spec.size), await readerCompetitor(shards)];
  let runs: RaceResult[];
  try {
    runs = await race(competitors, { seconds: ctx.seconds, rounds: ROUNDS, warmupSeconds: WARMUP_SECONDS, log: (line) => ctx.log(`seed: ${line}`) });
  } finally {
    for (const c of competitors) await c.close();
  }
  const [sequence, tfData, ours] = runs.map((r) => r.result);
  const vsSeed = ours.samplesPerSec / sequence.samplesPerSec;
  const target: TargetCheck = { target: `>= ${TARGET_RATIO}x the seed-style generator's samples/s`, measured: `${vsSeed.toFixed(1)}x`, met: vsSeed >= TARGET_RATIO };
  return {
    name: 'seed',
    tables: [table(ctx, runs, competitors, spec.patients * spec.slices)],
    figures: {
      tfBackend: tf.getBackend(),
      seedStyleSamplesPerSec: sequence.samplesPerSec,
      tfDataPngSamplesPerSec: tfData.samplesPerSec,
      readerTfSamplesPerSec: ours.samplesPerSec,
      readerVsSeedStyle: vsSeed,
      readerVsTfDataPng: ours.samplesPerSec / tfData.samplesPerSec,
      tfDataPngVsSeedStyle: tfData.samplesPerSec / sequence.samplesPerSec,
      seedStyleColdFirstBatchMs: runs[0].coldFirstBatchMs,
      tfDataPngColdFirstBatchMs: runs[1].coldFirstBatchMs,
      readerTfColdFirstBatchMs: runs[2].coldFirstBatchMs,
    },
    targets: [target],
  };
};
