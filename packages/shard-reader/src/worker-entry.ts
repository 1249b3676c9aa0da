// How to start one of our worker threads: the built .js beside its caller, or its .ts source through tsx.
import type { WorkerOptions } from 'node:worker_threads';

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
