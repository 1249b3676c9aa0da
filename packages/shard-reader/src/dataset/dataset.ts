// A dataset opened for training: metadata from the manifest and index, records through a RecordStore, batches.
import { closeSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeLabels, FormatError, type Dtype, type Manifest, type SampleMeta, type Shape } from 'shard-format';
import { checkIndexBytes } from '../integrity/index.js';
import type { CorruptSample } from '../batch/assemble.js';
import { BatchStream, type BatchOptions } from '../batch/batch-stream.js';
import { resolveReaderWorkers } from '../batch/options.js';
import { pixelView, type Pixels } from '../store/pixels.js';
import { InlineExecutor, WorkerExecutor, type BatchExecutor } from '../batch/executor.js';
import type { ExecutorSpec } from '../batch/types.js';
import { loadMmapAddon } from '../io/addon.js';
import type { Backend, BackendChoice } from '../io/types.js';
import type { RemoteBacking, RemoteOpenOptions } from '../remote/open-remote.js';
import type { OpenStoreOptions } from '../remote/open-store.js';
import { contextTable, seriesList, type ContextTable, type Series, type SeriesOrder } from '../context/index.js';
import { loadDataset } from './load-manifest.js';
import { RecordStore } from '../store/record-store.js';

export interface OpenDatasetOptions {
  /** Record I/O: 'auto' (mmap when the addon is built, else pread), 'mmap' or 'pread'. */
  backend?: BackendChoice;
  /**
   * Reader batch workers: threads assembling batches off the main thread; 0 assembles inline. Default:
   * one per core, up to 4 (they only work while the prefetch queue has room, so they do not starve a
   * slower training loop). Not the build's `workers` (images decoded at once). See resolveReaderWorkers.
   */
  workers?: number;
  /** Check every record's CRC-32 and key as it is read. Default true. */
  verify?: boolean;
  /** A corrupt record fails its batch ('error', default) or is left out, counted and warned about once per shard ('skip'). */
  onCorrupt?: 'error' | 'skip';
  /** Where 'skip' warnings go; default process.emitWarning. */
  onWarning?: (message: string) => void;
  /** s3:// and http(s):// datasets: where whole shards are cached, and the bound on it. */
  cacheDir?: RemoteOpenOptions['cacheDir'];
  cacheBytes?: RemoteOpenOptions['cacheBytes'];
  /** s3:// datasets: endpoint and addressing (default: the AWS SDK's environment and config). */
  s3?: OpenStoreOptions['s3'];
  /** Remote datasets: timeout and retry policy of every request. */
  remote?: Omit<OpenStoreOptions, 's3'>;
}

type DatasetOptions = Required<Pick<OpenDatasetOptions, 'backend' | 'workers' | 'verify' | 'onCorrupt'>> & Pick<OpenDatasetOptions, 'onWarning'>;

export class Dataset {
  readonly size: number;
  readonly labelNames: string[];
  readonly shape: Shape;
  readonly dtype: Dtype;
  /** Bytes between records in a shard. */
  readonly recordBytes: number;
  readonly shardSizes: number[];
  private readonly store: RecordStore;
  private executor: BatchExecutor | undefined;
  private closed = false;
  /** Corrupt records left out so far (onCorrupt 'skip'). */
  corruptSkipped = 0;
  private readonly warnedShards = new Set<string>();

  constructor(
    readonly dir: string,
    readonly manifest: Manifest,
    /** Global index -> sample key. */
    readonly keys: string[],
    /** size x labelNames.length, from the index (no image bytes read). */
    readonly labels: Float32Array,
    private readonly options: DatasetOptions,
    /**
     * Every shard's descriptor, opened and validated by openDataset; all reads (on every thread) go
     * through them until close(), so the dataset keeps reading the build it was opened on. A remote
     * dataset's are its cached shards', -1 while a shard is not in the cache.
     */
    private readonly fds: number[],
    /** Set for an s3:// or http(s):// dataset. */
    private readonly remote?: RemoteBacking,
    /** DICOM series order recorded at build (index metadata `series`, `position`), if any. */
    private readonly order?: SeriesOrder,
  ) {
    this.size = manifest.samples;
    this.labelNames = manifest.schema.labelNames;
    this.shape = manifest.schema.shape;
    this.dtype = manifest.schema.dtype;
    this.recordBytes = manifest.schema.record.stride;
    this.shardSizes = manifest.shards.map((s) => s.samples);
    this.store = new RecordStore(this.executorSpec().store);
  }

  /** The backend records are read with ('auto' resolved). */
  get backend(): Backend {
    if (this.options.backend !== 'auto') return this.options.backend;
    return this.store.backend ?? (loadMmapAddon() ? 'mmap' : 'pread');
  }

  /** Pixels of one sample (H x W x C, a copy, in the stored dtype's typed array), checked against its CRC. */
  image(index: number): Pixels {
    this.assertOpen();
    this.assertLocal('image()');
    const layout = this.manifest.schema.record;
    const bytes = this.store.record(index, this.keys[index]).slice(0, layout.imageBytes);
    return pixelView(this.dtype, bytes.buffer);
  }

  /**
   * Sample `index`'s metadata from its shard's index (source file; DICOM UIDs, InstanceNumber, position,
   * orientation, spacing, thickness, frame; NIfTI k), or undefined when the shard lists none (PNG input).
   * Read on demand, one shard's index cached, so memory does not grow with the dataset.
   */
  meta(index: number): SampleMeta | undefined {
    this.assertOpen();
    if (this.remote) throw new Error(`ds.meta() reads the shard index from local disk; ${this.dir} is remote (not supported yet)`);
    if (!Number.isInteger(index) || index < 0 || index >= this.size) throw new RangeError(`sample ${index} is outside 0..${this.size - 1}`);
    const s = shardOf(this.manifest.shards, index);
    const shard = this.manifest.shards[s];
    if (this.metaCache?.file !== shard.file) {
      const file = path.join(this.dir, shard.index.file);
      const checked = checkIndexBytes(readFileSync(file), this.manifest, s);
      if (checked.problems.length || !checked.index) throw new FormatError(checked.problems[0], { file });
      this.metaCache = { file: shard.file, meta: checked.index.meta };
    }
    return this.metaCache.meta?.[index - shard.firstSample];
  }

  private metaCache: { file: string; meta: SampleMeta[] | undefined } | undefined;

  /**
   * Every series with its samples in series order: DICOM series as the build recorded them (along the
   * slice normal, else by InstanceNumber), other samples by folder in natural name order (PNG patient
   * folders, NIfTI volumes by z). The order `context: k` takes its neighbours from.
   */
  series(): Series[] {
    this.assertOpen();
    return seriesList(this.keys, { order: this.order });
  }

  /** Sample `index`'s 2k+1 series neighbours (global indices, -k..+k, the edge slice repeated at the ends). */
  neighbours(index: number, k: number): Uint32Array {
    this.assertOpen();
    if (!Number.isInteger(index) || index < 0 || index >= this.size) throw new RangeError(`sample ${index} is outside 0..${this.size - 1}`);
    return this.contextTable(k).of(index);
  }

  /** The neighbour table for `context: k`, made once per k. */
  contextTable(k: number): ContextTable {
    let t = this.contextTables.get(k);
    if (!t) this.contextTables.set(k, (t = contextTable(this.keys, k, { order: this.order })));
    return t;
  }

  private readonly contextTables = new Map<number, ContextTable>();

  /** Image bytes of several samples (copies in the stored dtype, each checked), for local and remote datasets alike. */
  async images(indices: readonly number[]): Promise<Pixels[]> {
    this.assertOpen();
    if (!this.remote) return indices.map((i) => this.image(i));
    const imageBytes = this.manifest.schema.record.imageBytes;
    const records = await this.remote.readRecords(indices);
    return records.map((r) => pixelView(this.dtype, r.slice(0, imageBytes).buffer));
  }

  /** The label vector stored in the record itself (the index copy is `labels`). */
  recordLabels(index: number): Float32Array {
    this.assertOpen();
    this.assertLocal('recordLabels()');
    return decodeLabels(this.store.record(index, this.keys[index]), this.manifest.schema.record);
  }

  /** Batches of one epoch on one rank; see BatchOptions for defaults. */
  batches(options: BatchOptions = {}): BatchStream {
    this.assertOpen();
    const onCorrupt = this.options.onCorrupt === 'skip' ? (samples: CorruptSample[]) => this.noteCorrupt(samples) : undefined;
    const remote = this.remote;
    if (remote) {
      // The stream's options (defaults applied) decide the plumbing; it is made right after, before any read.
      let parts: ReturnType<RemoteBacking['streamParts']> | undefined;
      const stream = new BatchStream({
        shardSizes: this.shardSizes,
        keys: this.keys,
        contextTable: (k) => this.contextTable(k),
        labels: this.labels,
        labelCount: this.labelNames.length,
        executor: () => {
          this.assertOpen();
          return parts!.executor;
        },
        stage: (indices) => (parts!.stage ? parts!.stage(indices) : Promise.resolve(() => {})),
        onEnd: () => parts?.onEnd?.(),
        onCorrupt,
      }, options);
      parts = remote.streamParts(stream, this.store, this.executorSpec().image);
      return stream;
    }
    return new BatchStream({ shardSizes: this.shardSizes, keys: this.keys, contextTable: (k) => this.contextTable(k), labels: this.labels, labelCount: this.labelNames.length, executor: () => {
      this.assertOpen(); // a stream made before close() must not start a new worker pool after it
      return (this.executor ??= this.createExecutor());
    }, onCorrupt }, options);
  }

  /** True for an s3:// or http(s):// dataset. */
  get isRemote(): boolean {
    return this.remote !== undefined;
  }

  private noteCorrupt(samples: CorruptSample[]): void {
    this.corruptSkipped += samples.length;
    for (const s of samples) {
      if (this.warnedShards.has(s.file)) continue;
      this.warnedShards.add(s.file);
      const message = `shard-reader: skipping corrupt records in ${s.file} (first: ${s.message}); later ones in this shard are skipped silently, see dataset.corruptSkipped`;
      if (this.options.onWarning) this.options.onWarning(message);
      else process.emitWarning(message, 'CorruptRecordWarning');
    }
  }

  /**
   * Starts the batch worker threads and resolves once they are running. Optional: until then batches are
   * assembled on this thread, so nothing waits; call it to keep thread start-up out of a measurement.
   */
  async ready(): Promise<void> {
    this.assertOpen();
    await (this.executor ??= this.createExecutor()).ready();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      // Worker threads read through this dataset's descriptors: they stop before the numbers can be reused.
      await this.executor?.close();
    } finally {
      this.store.close();
      await this.remote?.close(); // closes the descriptors of the shards it had fetched
      this.fds.splice(0).forEach((fd) => fd >= 0 && closeSync(fd));
    }
  }

  private createExecutor(): BatchExecutor {
    const spec = this.executorSpec();
    return this.options.workers === 0 ? new InlineExecutor(spec, this.store) : new WorkerExecutor(spec, this.options.workers, this.store);
  }

  private executorSpec(): ExecutorSpec {
    const m = this.manifest;
    return {
      store: {
        dir: this.dir,
        shardFiles: m.shards.map((s) => (this.remote ? this.remote.store.urlOf(s.file) : s.file)),
        remote: this.remote !== undefined,
        fds: this.fds,
        shardBytes: m.shards.map((s) => s.bytes),
        perShard: m.recordsPerShard,
        size: m.samples,
        layout: m.schema.record,
        buildId: m.buildId,
        backend: this.options.backend,
        verify: this.options.verify,
      },
      image: { dtype: m.schema.dtype, shape: m.schema.shape, labelCount: m.schema.labelNames.length },
    };
  }

  private assertLocal(what: string): void {
    if (this.remote) throw new Error(`${what} reads one record synchronously, which a remote dataset (${this.dir}) cannot: read it through batches()`);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`dataset ${this.dir} is closed`);
  }
}

/** The shard holding sample `index` (binary search: reading every sample's meta stays O(n log shards)). */
function shardOf(shards: Manifest['shards'], index: number): number {
  let lo = 0;
  let hi = shards.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (shards[mid].firstSample <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Opens a dataset folder, validating manifest, shard sizes and headers, and index sidecars first. Each
 * shard is opened once, here, and stays open until close(): a later rename over its name (a rebuild)
 * does not change what this dataset reads.
 */
export async function openLocalDataset(dir: string, options: OpenDatasetOptions = {}): Promise<Dataset> {
  const workers = resolveReaderWorkers(options.workers);
  const onCorrupt = options.onCorrupt ?? 'error';
  if (onCorrupt !== 'error' && onCorrupt !== 'skip') throw new RangeError(`onCorrupt must be 'error' or 'skip' (got ${String(onCorrupt)})`);
  const loaded = loadDataset(dir); // from here the shards are open: the dataset owns them
  try {
    return new Dataset(dir, loaded.manifest, loaded.keys, loaded.labels, { backend: options.backend ?? 'auto', workers, verify: options.verify ?? true, onCorrupt, onWarning: options.onWarning }, loaded.fds, undefined, loaded.order);
  } catch (err) {
    loaded.fds.forEach((fd) => closeSync(fd));
    throw err;
  }
}
