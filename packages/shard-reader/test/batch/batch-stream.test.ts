// BatchStream's hand-off to an executor: remote (staged) streams are grouped like local ones, each batch's
// staging released once it is assembled, and a failed staging fails only its own batch.
import { describe, expect, it } from 'vitest';
import { BatchStream, type StreamContext } from '../../src/batch/batch-stream.js';
import type { BatchRequest } from '../../src/batch/assemble.js';
import type { AssembledBatch, BatchExecutor } from '../../src/batch/executor.js';

/** An executor that records how batches reach it (alone or in groups) and answers with their first index. */
function recordingExecutor(threads: number) {
  const calls: number[][] = [];
  const answer = (req: BatchRequest): Promise<AssembledBatch> =>
    Promise.resolve({ images: new Uint8Array([req.indices[0] % 256]), labels: new Float32Array(1), recycle() {} } as unknown as AssembledBatch);
  const executor: BatchExecutor = {
    threads,
    run: (req) => {
      calls.push([req.indices[0]]);
      return answer(req);
    },
    runGroup: (reqs) => {
      calls.push(reqs.map((r) => r.indices[0]));
      return reqs.map(answer);
    },
    ready: async () => {},
    close: async () => {},
  };
  return { executor, calls };
}

const shards = [64, 64, 64, 64];
const ctxFor = (executor: BatchExecutor, stage?: StreamContext['stage']): StreamContext => ({
  shardSizes: shards,
  keys: Array.from({ length: 256 }, (_, i) => `k${i}`),
  executor: () => executor,
  stage,
});

describe('BatchStream hand-off', () => {
  it('a staged (remote) stream hands batches over two per message, as an unstaged one does, and releases each staging once', async () => {
    for (const staged of [false, true]) {
      const { executor, calls } = recordingExecutor(2);
      const stagedIdx: number[] = [];
      let released = 0;
      const stage = staged
        ? async (indices: Uint32Array) => {
            stagedIdx.push(indices[0]);
            return () => void released++;
          }
        : undefined;
      const stream = new BatchStream(ctxFor(executor, stage), { batchSize: 8, shuffle: 'none', prefetch: 8 });
      let n = 0;
      for await (const b of stream) {
        b.release();
        n++;
      }
      expect(n).toBe(32);
      expect(calls.flat()).toHaveLength(32);
      expect(calls.every((c) => c.length === 2)).toBe(true);
      if (staged) {
        expect(stagedIdx).toHaveLength(32);
        expect(released).toBe(32);
      }
    }
  });

  it('a staging that fails fails its own batch only: the batch grouped with it before it still comes', async () => {
    const { executor, calls } = recordingExecutor(2);
    let released = 0;
    const stage = async (indices: Uint32Array) => {
      if (indices[0] === 8 * 5) throw new Error('shard-00000.bin: gave up after 5 attempts');
      return () => void released++;
    };
    const stream = new BatchStream(ctxFor(executor, stage), { batchSize: 8, shuffle: 'none', prefetch: 8 });
    const got: number[] = [];
    const err = await (async () => {
      for await (const b of stream) {
        got.push(b.indices[0]);
        b.release();
      }
    })().catch((e: Error) => e);
    expect((err as Error).message).toMatch(/gave up/);
    expect(got).toEqual([0, 8, 16, 24, 32]); // batch 4 shared a group with the failing batch 5
    expect(calls).toContainEqual([32]); // run alone, not with the failed one
    await stream.return();
    expect(released).toBeGreaterThanOrEqual(5);
  });
});
