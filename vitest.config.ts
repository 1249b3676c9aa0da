import { defineConfig } from 'vitest/config';

// Tests read sibling packages' `src` through the `source` export condition,
// so they never run against a stale `dist`.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    // CI (.ci/run) asks for a JSON report to count passed and failed tests from.
    reporters: process.env.SHARDS_TEST_REPORT ? ['default', 'json'] : ['default'],
    outputFile: process.env.SHARDS_TEST_REPORT ? { json: process.env.SHARDS_TEST_REPORT } : undefined,
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One test file per core at once: the slow files (install, kill/resume) are mostly waiting on child processes.
    maxWorkers: 2,
  },
});
