#!/usr/bin/env node
// Entry of the `shard` command: checks the Node version, sizes libuv's pool, then always runs main.
// It runs main whatever path started it (npm's .bin link, npx, npm link, a global install): a file
// that guesses from argv[1] whether it is the entry does nothing, and exits 0, when started through a link.
// Plain old syntax on purpose, so that an old Node gets as far as the version check.
import os from 'node:os';

// Old Node must get one clear line, not a stack trace from some import: check before loading the CLI.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 15)) {
  process.stderr.write(`shard: needs Node.js >= 20.15 (zlib.crc32); this is ${process.versions.node}\n`);
  process.exit(2);
}

// sharp and fs work run on libuv's pool, which reads this when first used: room for two decodes per core.
if (process.env.UV_THREADPOOL_SIZE === undefined) {
  process.env.UV_THREADPOOL_SIZE = String(Math.max(4, 2 * os.availableParallelism()));
}

// On Node < 22 the AWS SDK prints a 9-line notice (its releases after January 2027 will need Node 22) before any
// s3:// output. shard-reader pins SDK releases that run on Node 20, so for this command it is only noise.
if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}

let settled = false;
// If the event loop ever empties before the command settles, that is our bug: never exit 0 on it.
process.on('exit', () => {
  if (!settled) {
    process.stderr.write('shard: internal error: the command stopped before finishing\n');
    process.exitCode = 70;
  }
});

const argv = process.argv.slice(2);
// The package's own name: its built dist, or its TypeScript source under --conditions=source (`pnpm shard`).
import('shard-cli')
  .then(({ main }) => main(argv))
  .then(
    (code) => {
      settled = true;
      process.exitCode = code;
    },
    (err) => {
      // Only a broken install gets here (main turns every command error into a message and a code).
      settled = true;
      const debug = argv.includes('--debug');
      process.stderr.write(`shard: internal error: ${debug && err instanceof Error ? err.stack : String(err instanceof Error ? err.message : err)}\n`);
      process.exitCode = 70;
    },
  );
