// Development-only worker bootstrap: when shard-reader runs from its TypeScript source (tests, `pnpm shard`),
// Node 20 does not pass tsx's loader hooks to worker threads, so the worker registers them, then loads
// the real worker module named in its argv.
import { register } from 'tsx/esm/api';

register();
await import(process.argv[2]);
