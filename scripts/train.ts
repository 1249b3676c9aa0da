// Training example: a small CNN fed from shards by shard-reader/tfjs through model.fitDataset, with per-epoch throughput and data-wait figures.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openDataset, type Dataset } from 'shard-reader';
import { toTfDataset, type TfBatchInfo } from 'shard-reader/tfjs';
import { resolveUserPath } from 'shard-cli';

/** tfjs-node and tfjs-node-gpu export this same namespace. */
export type Tf = typeof import('@tensorflow/tfjs');

export interface TrainOptions {
  /** Training shards folder. */
  data: string;
  /** Validation shards folder (read in stored order, no augmentation). */
  val?: string;
  /** Default 2. */
  epochs?: number;
  /** Default 16. */
  batchSize?: number;
  /** Shuffle seed (default 1). */
  seed?: number;
  /** Context slices: k neighbours on each side as extra channels (2.5D input); default 0. */
  context?: number;
  /** A TensorFlow.js namespace to use; default: @tensorflow/tfjs-node when it can be imported, else @tensorflow/tfjs. */
  tf?: Tf;
  /** Where progress lines go (default console.log). */
  log?: (line: string) => void;
  /** Where the within-epoch progress line goes when it is a TTY (default process.stderr); nothing is drawn otherwise. */
  progress?: ProgressStream;
}

/** The part of a TTY stream the progress line needs. */
export interface ProgressStream {
  isTTY?: boolean;
  write(s: string): boolean;
}

/** The training and validation sets disagree on what a sample is: bad input data (exit 1), both values named. */
export class DatasetMismatchError extends Error {
  override name = 'DatasetMismatchError';
}

function samplesText(n: number): string {
  return `${n} sample${n === 1 ? '' : 's'}`;
}

/** Refuses a validation set whose samples the model cannot take as it takes the training set's. */
export function checkValidationSet(train: Pick<Dataset, 'dtype' | 'shape' | 'labelNames'>, val: Pick<Dataset, 'dtype' | 'shape' | 'labelNames'>, trainDir: string, valDir: string): void {
  const differ = (what: string, v: string, t: string, verb = 'differs') => new DatasetMismatchError(`${valDir}: validation ${what} ${v} ${verb} from the training set's ${t} (${trainDir})`);
  if (val.dtype !== train.dtype) throw differ('dtype', val.dtype, train.dtype);
  if (val.shape.join('x') !== train.shape.join('x')) throw differ('shape', val.shape.join('x'), train.shape.join('x'));
  // Same names in the same order: ys columns are matched by position.
  if (JSON.stringify(val.labelNames) !== JSON.stringify(train.labelNames)) throw differ('labels', `[${val.labelNames.join(',')}]`, `[${train.labelNames.join(',')}]`, 'differ');
}

/**
 * One self-rewriting line while an epoch runs: batches done, samples/s, loss. Drawn only on a TTY and
 * at most every 100 ms; cleared before the epoch's summary line is logged.
 */
export function epochProgress(stream: ProgressStream | undefined, epochs: number, batchesPerEpoch: number) {
  const tty = stream?.isTTY === true;
  let started = 0;
  let lastDraw = 0;
  let drawn = false;
  return {
    begin() {
      started = performance.now();
      lastDraw = 0;
    },
    batch(epoch: number, done: number, samples: number, loss: number | undefined) {
      if (!tty) return;
      const now = performance.now();
      if (done < batchesPerEpoch && now - lastDraw < 100) return;
      lastDraw = now;
      const rate = samples / Math.max(1e-3, (now - started) / 1000);
      stream!.write(`\r\x1b[Kepoch ${epoch + 1}/${epochs}  batch ${done}/${batchesPerEpoch}  ${rate.toFixed(1)} samples/s  loss ${loss === undefined ? '-' : loss.toFixed(4)}`);
      drawn = true;
    },
    clear() {
      if (drawn) stream!.write('\r\x1b[K');
      drawn = false;
    },
  };
}

export interface EpochStats {
  epoch: number;
  loss: number;
  valLoss?: number;
  samples: number;
  /** Wall time of the epoch's training steps (validation excluded). */
  seconds: number;
  samplesPerSec: number;
  /** Time the training loop spent waiting for the next batch. */
  dataWaitMs: number;
  /** dataWaitMs as a percentage of `seconds`: near 0 means the reader keeps ahead of training. */
  dataWaitPct: number;
  /** tf.memory().numTensors at the epoch's end: constant from epoch to epoch when nothing leaks. */
  numTensors: number;
}

export interface TrainResult {
  /** The tfjs package used, and its backend (e.g. 'cpu', 'tensorflow'). */
  tfPackage: string;
  backend: string;
  epochs: EpochStats[];
}

/** Prefers the native tfjs-node (an optional install: it downloads libtensorflow); falls back to pure-JS tfjs. */
export async function loadTf(): Promise<{ tf: Tf; name: string }> {
  // A variable specifier keeps TypeScript from requiring tfjs-node's types, since it is usually not installed.
  const nodeName = '@tensorflow/tfjs-node';
  try {
    return { tf: (await import(nodeName)) as Tf, name: nodeName };
  } catch {
    return { tf: await import('@tensorflow/tfjs'), name: '@tensorflow/tfjs' };
  }
}

function buildModel(tf: Tf, ds: Dataset, context: number) {
  const [h, w, c] = ds.shape;
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [h, w, c * (2 * context + 1)], filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: ds.labelNames.length, activation: 'sigmoid' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });
  return model;
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const epochs = opts.epochs ?? 2;
  const batchSize = opts.batchSize ?? 16;
  const seed = opts.seed ?? 1;
  const context = opts.context ?? 0;
  const log = opts.log ?? ((line: string) => console.log(line));
  const { tf, name } = opts.tf ? { tf: opts.tf, name: 'caller-supplied tf' } : await loadTf();
  await tf.ready();
  log(`train: ${name}, backend ${tf.getBackend()}${name === '@tensorflow/tfjs' ? ' (pure JS: keep images small, or install @tensorflow/tfjs-node)' : ''}`);

  const dataDir = path.resolve(opts.data);
  const valDir = opts.val === undefined ? undefined : path.resolve(opts.val);
  const ds = await openDataset(dataDir);
  let valDs: Dataset | undefined;
  try {
    valDs = valDir === undefined ? undefined : await openDataset(valDir);
    if (valDs) checkValidationSet(ds, valDs, dataDir, valDir!);
  } catch (err) {
    await Promise.all([ds.close(), valDs?.close()]);
    throw err;
  }
  const model = buildModel(tf, ds, context);
  try {
    log(`train: ${samplesText(ds.size)} of ${ds.shape.join('x')} ${ds.dtype}, labels ${ds.labelNames.join(',')}${valDs ? `; val ${valDs.size}` : ''}`);

    // Per-epoch counters, filled by the adapter's hook (waits) and fitDataset's callbacks (step timing).
    let samples = 0;
    let waitMs = 0;
    let epochStart = 0;
    let lastStepEnd = 0;
    let batchesDone = 0;
    let trainedSamples = 0;
    let currentEpoch = 0;
    const onBatch = (b: TfBatchInfo) => {
      samples += b.keys.length;
      waitMs += b.waitMs;
    };
    const trainData = toTfDataset(ds, tf, { batchSize, seed, shuffle: 'global', context, onBatch });
    const valData = valDs ? toTfDataset(valDs, tf, { batchSize, shuffle: 'none', context }) : undefined;
    const stats: EpochStats[] = [];
    const bar = epochProgress(opts.progress ?? process.stderr, epochs, trainData.batchesPerEpoch);

    await model.fitDataset(trainData, {
      epochs,
      validationData: valData,
      verbose: 0,
      callbacks: {
        onEpochBegin: async (epoch) => {
          samples = 0;
          waitMs = 0;
          batchesDone = 0;
          trainedSamples = 0;
          currentEpoch = epoch;
          epochStart = lastStepEnd = performance.now();
          bar.begin();
        },
        onBatchEnd: async (_batch, logs) => {
          lastStepEnd = performance.now();
          // logs.size is the batch just trained; `samples` also counts batches the adapter has read ahead.
          trainedSamples += logs?.size ?? 0;
          bar.batch(currentEpoch, ++batchesDone, trainedSamples, logs?.loss);
        },
        onEpochEnd: async (epoch, logs) => {
          bar.clear();
          const ms = lastStepEnd - epochStart;
          const s: EpochStats = {
            epoch,
            loss: logs?.loss ?? NaN,
            valLoss: logs?.val_loss,
            samples,
            seconds: ms / 1000,
            samplesPerSec: ms > 0 ? (samples * 1000) / ms : 0,
            dataWaitMs: waitMs,
            dataWaitPct: ms > 0 ? (100 * waitMs) / ms : 0,
            numTensors: tf.memory().numTensors,
          };
          stats.push(s);
          const val = s.valLoss === undefined ? '' : `  val_loss ${s.valLoss.toFixed(4)}`;
          log(
            `epoch ${epoch + 1}/${epochs}  loss ${s.loss.toFixed(4)}${val}  ${samplesText(s.samples)} in ${s.seconds.toFixed(2)} s ` +
              `(${s.samplesPerSec.toFixed(1)} samples/s)  data wait ${s.dataWaitPct.toFixed(1)}%  tensors ${s.numTensors}`,
          );
        },
      },
    });
    return { tfPackage: name, backend: tf.getBackend(), epochs: stats };
  } finally {
    model.optimizer?.dispose();
    model.dispose();
    await Promise.all([ds.close(), valDs?.close()]);
  }
}

const USAGE = `Usage: node --conditions=source --import tsx scripts/train.ts --data <shards> [options]

Trains a small CNN (conv 8 /2, max-pool, conv 16, global average pool, dense
sigmoid per label) with binary cross-entropy on a shard dataset, through
shard-reader/tfjs and model.fitDataset. Per epoch it prints the loss, the
validation loss, samples/s, the share of step time spent waiting for data, and
tf.memory().numTensors (constant when nothing leaks). On a terminal a progress
line shows batches, samples/s and loss within each epoch. A validation set
must match the training set's dtype, shape and label names (in order).
Relative paths are taken from the folder you ran \`pnpm train\` in.

Uses @tensorflow/tfjs-node when installed, else pure-JS @tensorflow/tfjs,
which manages only a few 256x256 samples/s: build small shards for a quick run,
e.g. \`pnpm shard build <slices> --out <shards> --size 32\`. Images are not
resized here.

  --data <dir>         training shards (required)
  --val <dir>          validation shards
  --epochs <n>         default 2
  --batch-size <n>     default 16
  --seed <n>           shuffle seed, default 1
  --context <k>        feed each slice with its k neighbours on each side as channels (2.5D), default 0
  --debug              show stack traces
  --help               show this text`;

/** Bad arguments: exit 2 ("cannot run") rather than 1. */
class UsageError extends Error {}

function intArg(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${v}'`);
  return Number(v);
}

async function main(): Promise<void> {
  const debug = process.argv.includes('--debug');
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        data: { type: 'string' },
        val: { type: 'string' },
        epochs: { type: 'string' },
        'batch-size': { type: 'string' },
        seed: { type: 'string' },
        context: { type: 'string' },
        debug: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      console.log(USAGE);
      return;
    }
    if (!values.data) throw new UsageError('--data <shards dir> is required (see --help)');
    await train({
      // Relative to where the user ran `pnpm train` from, as for `pnpm shard`.
      data: resolveUserPath(values.data),
      val: values.val === undefined ? undefined : resolveUserPath(values.val),
      epochs: intArg('epochs', values.epochs, 1),
      batchSize: intArg('batch-size', values['batch-size'], 1),
      seed: intArg('seed', values.seed, 0),
      context: intArg('context', values.context, 0),
    });
  } catch (err) {
    console.error(`train: ${debug && err instanceof Error ? err.stack : err instanceof Error ? err.message : String(err)}`);
    const usage = err instanceof UsageError || String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    process.exitCode = usage ? 2 : 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
