// Benchmark 5: the training feed: the tfjs adapter's tensor throughput against the reader's raw batches, and data wait in the training example.
import * as tf from '@tensorflow/tfjs';
import { openDataset, type Batch, type Dataset } from 'shard-reader';
import { floatTransform, toTfDataset } from 'shard-reader/tfjs';
import { train, type TrainResult } from '../train.js';
import { ensureShards, ensureSource, readSetSpec } from './data.js';
import { drainFor, race, type Competitor, type EpochIterator, type RaceResult } from './png-feed.js';
import { fmt, type Bench, type BenchContext, type BenchTable } from './types.js';

const BATCH = 32;
const ROUNDS = 2;
const WARMUP_SECONDS = 1;
/** The training run: tiny images, because pure-JS tfjs manages only a few 256x256 samples/s through a CNN. */
const TRAIN_SOURCE = { patients: 4, slices: 32, size: 32, bits: 16 } as const;
const TRAIN_BATCH = 16;

type XY = { xs: tf.Tensor4D; ys: tf.Tensor2D };

/** The reader's own batches, handed back with release() as a trainer that is done with them would. */
function rawCompetitor(ds: Dataset, name: string, float: boolean): Competitor {
  let epoch = 0;
  const options = { batchSize: BATCH, seed: 1, shuffle: 'global' as const, float: float ? floatTransform(ds.dtype) : undefined };
  const consume = (b: Batch) => {
    const n = b.keys.length;
    b.release();
    return n;
  };
  return { name, run: (seconds) => drainFor(seconds, async () => ds.batches({ ...options, epoch: epoch++ }), consume) };
}

/** toTfDataset iterated as fitDataset does (iterator().next()), each batch's tensors disposed after use. */
function adapterCompetitor(ds: Dataset): Competitor {
  const dataset = toTfDataset(ds, tf, { batchSize: BATCH, seed: 1, shuffle: 'global' });
  const consume = ({ xs, ys }: XY) => {
    const n = xs.shape[0];
    xs.dispose();
    ys.dispose();
    return n;
  };
  // The adapter yields {xs: Tensor4D, ys: Tensor2D}; its tf.data type only says TensorContainer.
  return { name: 'toTfDataset tensors (float32)', run: (seconds) => drainFor(seconds, () => dataset.iterator() as Promise<EpochIterator<XY>>, consume) };
}

interface AdapterFigures {
  runs: RaceResult[];
  /** Bytes of image data each row delivers per sample. */
  bytesPerSample: number[];
  tensorsBefore: number;
  tensorsAfter: number;
  samples: number;
  shape: string;
}

async function measureAdapter(ctx: BenchContext, shards: string): Promise<AdapterFigures> {
  const ds = await openDataset(shards);
  try {
    const pixels = ds.shape[0] * ds.shape[1] * ds.shape[2];
    const stored = ds.dtype === 'uint16' ? 2 : 1;
    const tensorsBefore = tf.memory().numTensors;
    const competitors = [rawCompetitor(ds, `ds.batches() ${ds.dtype}, released`, false), rawCompetitor(ds, 'ds.batches() float32, released', true), adapterCompetitor(ds)];
    const runs = await race(competitors, { seconds: ctx.seconds, rounds: ROUNDS, warmupSeconds: WARMUP_SECONDS, log: (line) => ctx.log(`feed: ${line}`) });
    return { runs, bytesPerSample: [pixels * stored, pixels * 4, pixels * 4], tensorsBefore, tensorsAfter: tf.memory().numTensors, samples: ds.size, shape: ds.shape.join('x') };
  } finally {
    await ds.close();
  }
}

function adapterTable(ctx: BenchContext, a: AdapterFigures): BenchTable {
  const raw = a.runs[0].result.samplesPerSec;
  return {
    title: `tfjs adapter throughput: ${BATCH}-sample batches of ${a.shape} slices from ${a.samples}-sample shards, shuffle global`,
    command: `pnpm bench --only feed${ctx.quick ? ' --quick' : ''}`,
    columns: ['delivered as', 'samples/s', 'GB/s', 'vs raw batches', 'per round'],
    rows: a.runs.map((r, i) => [
      r.name,
      fmt.rate(r.result.samplesPerSec),
      fmt.gbps(r.result.samplesPerSec * a.bytesPerSample[i]),
      fmt.ratio(r.result.samplesPerSec / raw),
      r.rounds.map((d) => fmt.rate(d.samplesPerSec)).join(' / '),
    ]),
    notes: [
      `GB/s counts image bytes delivered: the stored dtype for raw batches, float32 for the other two. tf.memory().numTensors ${a.tensorsBefore} before, ${a.tensorsAfter} after (${a.tensorsAfter === a.tensorsBefore ? 'no leak' : 'LEAK'}).`,
      "The float32 row is the adapter's own worker output (values scaled to [0, 1] in the batch worker) without tensors, to show where the time goes between raw batches and tensors.",
      `One dataset (openDataset defaults), the three read in ${ROUNDS} interleaved rounds of about ${(ctx.seconds / ROUNDS).toFixed(1)} s each after a ${WARMUP_SECONDS} s untimed warm-up; samples/s is the steady rate after each run's first batch. Tensors are built with the pure-JS @tensorflow/tfjs (${tf.getBackend()} backend); no model runs.`,
    ],
  };
}

function trainTable(ctx: BenchContext, t: TrainResult, samples: number): BenchTable {
  const { size } = TRAIN_SOURCE;
  return {
    title: `Training example (scripts/train.ts): ${samples} slices of ${size}x${size}, batch ${TRAIN_BATCH}, ${t.tfPackage} (${t.backend})`,
    command: `pnpm bench --only feed${ctx.quick ? ' --quick' : ''}`,
    columns: ['epoch', 'samples', 'seconds', 'samples/s', 'data wait', 'loss', 'tensors at end'],
    rows: t.epochs.map((e) => [e.epoch + 1, e.samples, e.seconds.toFixed(2), fmt.rate(e.samplesPerSec), `${e.dataWaitPct.toFixed(1)}%`, e.loss.toFixed(4), e.numTensors]),
    notes: [
      'data wait: time fitDataset spent waiting for the next batch from toTfDataset, as a share of the epoch\'s step time (from train()\'s own stats).',
      t.tfPackage === '@tensorflow/tfjs'
        ? `Pure-JS ${t.tfPackage}: the model, not the feed, sets the pace, so images are ${size}x${size}. @tensorflow/tfjs-node (native TensorFlow) is the speed path and cannot be installed on these machines.`
        : `${t.tfPackage} was found and used.`,
    ],
  };
}

export const feedBench: Bench = async (ctx) => {
  const src = await ensureSource(ctx, readSetSpec(ctx));
  const shards = await ensureShards(ctx, src, ctx.quick ? 'read-quick' : 'read-full', { size: 256 });
  await tf.ready();
  const adapter = await measureAdapter(ctx, shards);

  const trainShards = await ensureShards(ctx, await ensureSource(ctx, TRAIN_SOURCE), 'train-32', { size: TRAIN_SOURCE.size, shardBytes: 256 * 1024 });
  // train() closes its dataset too.
  const trained = await train({ data: trainShards, epochs: ctx.quick ? 1 : 2, batchSize: TRAIN_BATCH, log: (line) => ctx.log(`feed: ${line}`) });
  const trainSamples = TRAIN_SOURCE.patients * TRAIN_SOURCE.slices;

  const [rawRun, floatRun, tensorRun] = adapter.runs.map((r) => r.result.samplesPerSec);
  const figures: Record<string, number | string | boolean> = {
    tfBackend: tf.getBackend(),
    rawBatchesSamplesPerSec: rawRun,
    rawFloatBatchesSamplesPerSec: floatRun,
    adapterSamplesPerSec: tensorRun,
    adapterFloat32BytesPerSec: tensorRun * adapter.bytesPerSample[2],
    adapterVsRawBatches: tensorRun / rawRun,
    adapterVsRawFloatBatches: tensorRun / floatRun,
    adapterTensorsBefore: adapter.tensorsBefore,
    adapterTensorsAfter: adapter.tensorsAfter,
    trainTfPackage: trained.tfPackage,
    trainBackend: trained.backend,
  };
  for (const e of trained.epochs) {
    figures[`trainEpoch${e.epoch + 1}SamplesPerSec`] = e.samplesPerSec;
    figures[`trainEpoch${e.epoch + 1}DataWaitPct`] = e.dataWaitPct;
  }
  return { name: 'feed', tables: [adapterTable(ctx, adapter), trainTable(ctx, trained, trainSamples)], figures, targets: [] };
};
