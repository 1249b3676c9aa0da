// Starting and stopping our worker threads: the built .js beside its caller, or its .ts source through tsx,
// with only the Node flags a worker thread accepts.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** Flags that make module loading work in a worker (loaders, conditions): always passed on. */
const LOADING = new Set(['--conditions', '-C', '--import', '--require', '-r', '--loader', '--experimental-loader']);

/**
 * Per-thread flags worth passing on. Everything else in process.execArgv is dropped: V8 flags
 * (--max-old-space-size, --expose-gc, --stack-size...) and per-process ones (--title,
 * --abort-on-uncaught-exception, --inspect...) make `new Worker` throw ERR_WORKER_INVALID_EXEC_ARGV, and the
 * rest do not matter to a thread that only assembles batches or checks shards.
 */
const KEEP = new Set([
  ...LOADING,
  '--no-warnings',
  '--disable-warning',
  '--enable-source-maps',
  '--no-deprecation',
  '--throw-deprecation',
  '--trace-deprecation',
  '--pending-deprecation',
  '--trace-warnings',
  '--trace-uncaught',
  '--unhandled-rejections',
  '--preserve-symlinks',
  '--preserve-symlinks-main',
  '--no-addons',
]);

/** Node's experimental flags are per thread, except these (and V8's own experimental flags below). */
const EXPERIMENTAL_PER_PROCESS = new Set(['--experimental-sea-config', '--experimental-value-unavailable', '--experimental-stack-trace-frames', '--experimental-flush-embedded-blob-icache']);

function kept(flag: string, loadingOnly: boolean): boolean {
  const name = flag.split('=', 1)[0];
  if (loadingOnly) return LOADING.has(name);
  if (KEEP.has(name)) return true;
  if (EXPERIMENTAL_PER_PROCESS.has(name)) return false;
  const experimental = name.replace(/^--no-/, '--');
  if (experimental.startsWith('--experimental-wasm-')) return experimental === '--experimental-wasm-modules'; // the others are V8's
  return experimental.startsWith('--experimental-');
}

/**
 * The part of `execArgv` a worker thread accepts. A token that does not start with '-' is the value of
 * the flag before it (execArgv holds only Node's options, never the script or its arguments), so
 * `--title x` and `--import tsx` are kept or dropped whole.
 */
export function workerExecArgv(execArgv: readonly string[] = process.execArgv, loadingOnly = false): string[] {
  const out: string[] = [];
  let keep = false;
  for (const arg of execArgv) {
    if (arg.startsWith('-')) keep = kept(arg, loadingOnly);
    if (keep) out.push(arg);
  }
  return out;
}

/** `name` is the worker module's base name, resolved next to `callerUrl` (the caller's import.meta.url). */
export function workerEntry(callerUrl: string, name: string): { file: URL; options: WorkerOptions } {
  const execArgv = workerExecArgv();
  if (!callerUrl.endsWith('.ts')) return { file: new URL(`./${name}.js`, callerUrl), options: { execArgv } };
  // From source, sibling packages must resolve to their `src` too.
  const conditions = execArgv.some((a) => a === '-C' || a.startsWith('--conditions')) ? [] : ['--conditions=source'];
  return {
    file: new URL('./dev-worker.mjs', import.meta.url),
    options: { execArgv: [...execArgv, ...conditions], argv: [new URL(`./${name}.ts`, callerUrl).href] },
  };
}

/**
 * Starts a worker. Should a newer Node refuse a flag the filter kept, it starts again with only the
 * module-loading flags rather than fail the dataset.
 */
export function startWorker(file: URL, options: WorkerOptions): Worker {
  try {
    return new Worker(file, options);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    return new Worker(file, { ...options, execArgv: workerExecArgv(options.execArgv ?? [], true) });
  }
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
