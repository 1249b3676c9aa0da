// Starting and stopping our worker threads: the built .js beside its caller, or its .ts source through tsx.
import type { Worker, WorkerOptions } from 'node:worker_threads';

/** `name` is the worker module's base name, resolved next to `callerUrl` (the caller's import.meta.url). */
export function workerEntry(callerUrl: string, name: string): { file: URL; options: WorkerOptions } {
  if (!callerUrl.endsWith('.ts')) return { file: new URL(`./${name}.js`, callerUrl), options: { execArgv: process.execArgv } };
  // From source, sibling packages must resolve to their `src` too.
  const conditions = process.execArgv.some((a) => a.startsWith('--conditions')) ? [] : ['--conditions=source'];
  return {
    file: new URL('./dev-worker.mjs', import.meta.url),
    options: { execArgv: [...process.execArgv, ...conditions], argv: [new URL(`./${name}.ts`, callerUrl).href] },
  };
}

/**
 * Terminates workers and waits for them. Node 20 does not count a terminating worker as keeping the
 * process alive, even ref'd: without the timer the event loop can empty and the program end inside
 * the caller's `await`.
 */
export async function terminateWorkers(workers: Worker[]): Promise<void> {
  const keepAlive = setInterval(() => {}, 1000);
  try {
    await Promise.all(workers.map((w) => w.terminate()));
  } finally {
    clearInterval(keepAlive);
  }
}
