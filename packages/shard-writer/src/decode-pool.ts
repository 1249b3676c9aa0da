// A small pool of worker threads decoding DICOM/NIfTI files, so both cores decode while the main thread writes.
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { InputError } from './errors.js';
import type { MappedSample, MedicalJob } from './medical-slices.js';
import type { WorkerReply, WorkerRequest } from './medical-worker.js';

/** The built .js beside this module, or its .ts source through tsx (tests, `pnpm shard`). */
function workerEntry(name: string): { file: URL; options: WorkerOptions } {
  if (!import.meta.url.endsWith('.ts')) return { file: new URL(`./${name}.js`, import.meta.url), options: { execArgv: process.execArgv } };
  const conditions = process.execArgv.some((a) => a.startsWith('--conditions')) ? [] : ['--conditions=source'];
  return { file: new URL('./dev-worker.mjs', import.meta.url), options: { execArgv: [...process.execArgv, ...conditions], argv: [new URL(`./${name}.ts`, import.meta.url).href] } };
}

interface Task {
  req: WorkerRequest;
  resolve: (s: MappedSample[]) => void;
  reject: (e: Error) => void;
}

export class DecodePool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Task[] = [];
  private readonly running = new Map<Worker, Task>();
  private nextId = 0;

  constructor(private readonly count: number) {}

  /** Decodes and maps every image of `file` in a worker; workers start on first use (a PNG tree starts none). */
  run(file: string, job: MedicalJob): Promise<MappedSample[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req: { id: this.nextId++, file, job }, resolve, reject });
      if (this.idle.length === 0 && this.workers.length < this.count) this.spawn();
      this.pump();
    });
  }

  private spawn(): void {
    const { file, options } = workerEntry('medical-worker');
    const w = new Worker(file, options);
    w.on('message', (reply: WorkerReply) => {
      const task = this.running.get(w);
      this.running.delete(w);
      this.idle.push(w);
      if (task) {
        if (reply.ok) task.resolve(reply.samples);
        else task.reject(reply.file !== undefined && reply.reason !== undefined ? new InputError(reply.file, reply.reason) : new Error(reply.message));
      }
      this.pump();
    });
    // A worker that dies (out of memory in a codec) fails its file, never the build silently.
    const fail = (err: Error) => {
      const task = this.running.get(w);
      this.running.delete(w);
      this.workers.splice(this.workers.indexOf(w), 1);
      task?.reject(new Error(`decoder thread failed: ${err.message}`));
      if (this.queue.length) this.spawn();
      this.pump();
    };
    w.on('error', fail);
    w.on('exit', (code) => this.workers.includes(w) && fail(new Error(`exited with code ${code}`)));
    this.workers.push(w);
    this.idle.push(w);
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const task = this.queue.shift()!;
      this.running.set(w, task);
      w.postMessage(task.req);
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
