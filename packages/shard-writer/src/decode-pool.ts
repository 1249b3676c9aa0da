// A small pool of worker threads decoding DICOM/NIfTI files and plain PNGs, so both cores decode while the main thread writes.
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { InputError } from './errors.js';
import type { MappedSample, MedicalJob } from './medical-slices.js';
import type { Preprocessed, PreprocessOptions } from './png-slice.js';
import type { WorkerAnswer, WorkerMessage, WorkerRequest } from './medical-worker.js';
import type { InputScan } from './scan-input.js';

/** The built .js beside this module, or its .ts source through tsx (tests, `pnpm shard`). */
function workerEntry(name: string): { file: URL; options: WorkerOptions } {
  if (!import.meta.url.endsWith('.ts')) return { file: new URL(`./${name}.js`, import.meta.url), options: { execArgv: process.execArgv } };
  const conditions = process.execArgv.some((a) => a.startsWith('--conditions')) ? [] : ['--conditions=source'];
  return { file: new URL('./dev-worker.mjs', import.meta.url), options: { execArgv: [...process.execArgv, ...conditions], argv: [new URL(`./${name}.ts`, import.meta.url).href] } };
}

type Result = MappedSample[] | Preprocessed[] | InputScan | undefined;

interface Task {
  req: WorkerRequest;
  resolve: (s: Result) => void;
  reject: (e: Error) => void;
  /** To be sent alone: it was in a group whose worker died, so a second death names it alone. */
  solo?: boolean;
  /** It went in a message of its own (set when sent). */
  alone?: boolean;
}

/**
 * Messages handed to one worker before it answers: the next already waits in its port while it
 * decodes, so it never idles while the main thread is busy writing (one at a time left each worker
 * ~20% idle in the profile).
 */
const DEPTH = 2;

/**
 * Files per message, at most. A worker's post to a main thread that sleeps costs the worker 0.05-0.55 ms
 * here (the wake-up), against ~3 us to one that is busy: about half a small DICOM file's decode. So
 * queued files go several to a message, and are answered in one (scripts/bench/post-wake.mjs, notes/build-dicom.md).
 */
const GROUP = 16;

/**
 * PNG trees at least this large decode in the pool too (both cores decode, the main thread writes);
 * smaller ones decode on the main thread and never wait for threads to start.
 */
export const PNG_POOL_MIN = 200;

export class DecodePool {
  private readonly workers: Worker[] = [];
  private readonly queue: Task[] = [];
  /** Requests each live worker holds, by id (a worker answers them in order, but ids keep that moot). */
  private readonly running = new Map<Worker, Map<number, Task>>();
  /** Messages each live worker has not answered yet. */
  private readonly messages = new Map<Worker, number>();
  private nextId = 0;
  private pumpSoon = false;

  constructor(private readonly count: number) {}

  /**
   * Files a caller keeps in flight: enough to fill every worker's messages (several files each) when
   * files go to the workers (medical ones, or PNGs when `png`) and each holds one sample; `workers` when
   * any holds many (volumes, multi-frame), which is what caps memory there.
   */
  inFlight(files: readonly { format?: string; many?: boolean }[], workers: number, png: boolean): number {
    const pooled = png || files.some((s) => s.format);
    return pooled && !files.some((s) => s.many) ? Math.max(workers, this.count * DEPTH * GROUP) : workers;
  }

  /** Decodes and maps every image of `file` in a worker; workers start when files wait for one (a PNG tree starts none). */
  run(file: string, job: MedicalJob): Promise<MappedSample[]> {
    return this.submit({ id: this.nextId++, file, job }) as Promise<MappedSample[]>;
  }

  /** A PNG slice decoded in a worker (png-slice.ts), or undefined when it needs sharp (the caller decodes it). */
  runPng(file: string, png: PreprocessOptions): Promise<Preprocessed | undefined> {
    return this.submit({ id: this.nextId++, file, png }).then((s) => (s ? (s as Preprocessed[])[0] : undefined));
  }

  /** Planning: size, SHA-256 and (when `dicom`) the header of `file`, read once in a worker. */
  scan(file: string, dicom: boolean): Promise<InputScan> {
    return this.submit({ id: this.nextId++, file, scan: { dicom } }) as Promise<InputScan>;
  }

  /** True once workers run (or are starting): work sent now does not wait for a first start-up. */
  get started(): boolean {
    return this.workers.length > 0;
  }

  private submit(req: WorkerRequest): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      // Sent once this turn of the event loop is over, not now: files submitted together (a chunk of
      // discovery, the plan, the files that replace a group of results just written) go in one message.
      if (!this.pumpSoon) {
        this.pumpSoon = true;
        setImmediate(() => {
          this.pumpSoon = false;
          this.pump();
        });
      }
    });
  }

  /** Starts every worker now, so their start-up (module loading) overlaps the build's planning instead of delaying the first decode. */
  warm(): void {
    while (this.workers.length < this.count) this.spawn();
  }

  private spawn(): void {
    const { file, options } = workerEntry('medical-worker');
    const w = new Worker(file, options);
    const tasks = new Map<number, Task>();
    w.on('message', ({ replies }: WorkerAnswer) => {
      for (const reply of replies) {
        const task = tasks.get(reply.id);
        tasks.delete(reply.id);
        if (!task) continue;
        if (!reply.ok) task.reject(reply.file !== undefined && reply.reason !== undefined ? new InputError(reply.file, reply.reason) : new Error(reply.message));
        else if ('scan' in reply) task.resolve(reply.scan);
        else task.resolve(reply.sharp ? undefined : reply.samples);
      }
      this.messages.set(w, this.messages.get(w)! - 1);
      this.pump();
    });
    // A worker that dies (out of memory in a codec) fails the file it died on, never the build silently.
    // It takes its files one at a time, in order, and answers a message at its end: when the oldest file it
    // held came in a message of its own, that is the file, and the others go back to the queue; when it came
    // in a group, any of the group may be, so all go back, each to be sent alone, and a second death names it.
    const fail = (err: Error) => {
      const [first, ...rest] = tasks.values();
      tasks.clear();
      this.running.delete(w);
      this.messages.delete(w);
      this.workers.splice(this.workers.indexOf(w), 1);
      if (first?.alone) {
        first.reject(new Error(`decoder thread failed: ${err.message}`));
        this.queue.unshift(...rest);
      } else if (first) this.queue.unshift(...[first, ...rest].map((t) => ({ ...t, solo: true })));
      if (this.queue.length) this.spawn();
      this.pump();
    };
    w.on('error', fail);
    w.on('exit', (code) => this.workers.includes(w) && fail(new Error(`exited with code ${code}`)));
    this.workers.push(w);
    this.running.set(w, tasks);
    this.messages.set(w, 0);
  }

  /** Each message goes to the live worker holding the fewest, up to DEPTH each; queued files are shared out evenly among the free ones. */
  private pump(): void {
    while (this.queue.length) {
      let best: Worker | undefined;
      for (const w of this.workers) if (this.messages.get(w)! < (best ? this.messages.get(best)! : DEPTH)) best = w;
      if (!best) {
        // Every live worker is full and files still wait: another worker, up to the count.
        if (this.workers.length >= this.count) return;
        this.spawn();
        continue;
      }
      const free = this.workers.reduce((n, w) => n + (DEPTH - this.messages.get(w)!), 0);
      const size = this.queue[0].solo ? 1 : Math.min(GROUP, Math.max(1, Math.ceil(this.queue.length / free)));
      const group: Task[] = [];
      while (group.length < size && this.queue.length && !this.queue[0].solo) group.push(this.queue.shift()!);
      if (group.length === 0) group.push(this.queue.shift()!);
      const tasks = this.running.get(best)!;
      for (const t of group) {
        t.alone = group.length === 1;
        tasks.set(t.req.id, t);
      }
      this.messages.set(best, this.messages.get(best)! + 1);
      best.postMessage({ requests: group.map((t) => t.req) } satisfies WorkerMessage);
    }
  }

  /** Stops every worker; queued files are rejected. */
  async close(): Promise<void> {
    for (const t of this.queue.splice(0)) t.reject(new Error('build stopped'));
    const all = this.workers.splice(0);
    // Node 20 does not count a terminating worker as keeping the process alive: hold it until they are gone.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      await Promise.all(all.map((w) => w.terminate()));
    } finally {
      clearInterval(keepAlive);
    }
  }
}
