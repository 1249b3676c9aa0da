// A small pool of worker threads decoding DICOM/NIfTI files and plain PNGs, so both cores decode while the main thread writes.
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { InputError } from './errors.js';
import type { MappedSample, MedicalJob } from './medical-slices.js';
import type { Preprocessed, PreprocessOptions } from './png-slice.js';
import type { WorkerReply, WorkerRequest } from './medical-worker.js';

/** The built .js beside this module, or its .ts source through tsx (tests, `pnpm shard`). */
function workerEntry(name: string): { file: URL; options: WorkerOptions } {
  if (!import.meta.url.endsWith('.ts')) return { file: new URL(`./${name}.js`, import.meta.url), options: { execArgv: process.execArgv } };
  const conditions = process.execArgv.some((a) => a.startsWith('--conditions')) ? [] : ['--conditions=source'];
  return { file: new URL('./dev-worker.mjs', import.meta.url), options: { execArgv: [...process.execArgv, ...conditions], argv: [new URL(`./${name}.ts`, import.meta.url).href] } };
}

interface Task {
  req: WorkerRequest;
  resolve: (s: MappedSample[] | Preprocessed[] | undefined) => void;
  reject: (e: Error) => void;
}

/**
 * Files handed to one worker before it answers: the next request already waits in its port while it
 * decodes, so it never idles while the main thread is busy writing (one at a time left each worker
 * ~20% idle in the profile).
 */
const DEPTH = 2;

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
  private nextId = 0;

  constructor(private readonly count: number) {}

  /** Decodes and maps every image of `file` in a worker; workers start on first use (a PNG tree starts none). */
  run(file: string, job: MedicalJob): Promise<MappedSample[]> {
    return this.submit({ id: this.nextId++, file, job }) as Promise<MappedSample[]>;
  }

  /** A PNG slice decoded in a worker (png-slice.ts), or undefined when it needs sharp (the caller decodes it). */
  runPng(file: string, png: PreprocessOptions): Promise<Preprocessed | undefined> {
    return this.submit({ id: this.nextId++, file, png }).then((s) => (s ? (s[0] as Preprocessed) : undefined));
  }

  private submit(req: WorkerRequest): Promise<MappedSample[] | Preprocessed[] | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      if (this.workers.length < this.count && this.workers.every((w) => this.running.get(w)!.size > 0)) this.spawn();
      this.pump();
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
    w.on('message', (reply: WorkerReply) => {
      const task = tasks.get(reply.id);
      tasks.delete(reply.id);
      if (task) {
        if (reply.ok) task.resolve(reply.sharp ? undefined : reply.samples);
        else task.reject(reply.file !== undefined && reply.reason !== undefined ? new InputError(reply.file, reply.reason) : new Error(reply.message));
      }
      this.pump();
    });
    // A worker that dies (out of memory in a codec) fails the files it held, never the build silently.
    // The worker takes its requests one at a time, in order: the oldest it held is the one it died on; the
    // others go back to the front of the queue for another worker.
    const fail = (err: Error) => {
      const [first, ...rest] = tasks.values();
      tasks.clear();
      this.running.delete(w);
      this.workers.splice(this.workers.indexOf(w), 1);
      this.queue.unshift(...rest);
      first?.reject(new Error(`decoder thread failed: ${err.message}`));
      if (this.queue.length) this.spawn();
      this.pump();
    };
    w.on('error', fail);
    w.on('exit', (code) => this.workers.includes(w) && fail(new Error(`exited with code ${code}`)));
    this.workers.push(w);
    this.running.set(w, tasks);
  }

  /** Each request goes to the live worker holding the fewest, up to DEPTH each. */
  private pump(): void {
    while (this.queue.length) {
      let best: Worker | undefined;
      for (const w of this.workers) if (this.running.get(w)!.size < (best ? this.running.get(best)!.size : DEPTH)) best = w;
      if (!best) return;
      const task = this.queue.shift()!;
      this.running.get(best)!.set(task.req.id, task);
      best.postMessage(task.req);
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
