// Locates the batch worker script: the built .js next to this file, or a tsx bootstrap when running from source.

export function workerEntry(): { file: URL; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  if (!fromSource) return { file: new URL('./batch-worker.js', import.meta.url), execArgv: process.execArgv };
  // From source, sibling packages must resolve to their `src` too.
  const conditions = process.execArgv.some((a) => a.startsWith('--conditions')) ? [] : ['--conditions=source'];
  return { file: new URL('./batch-worker-dev.mjs', import.meta.url), execArgv: [...process.execArgv, ...conditions] };
}
