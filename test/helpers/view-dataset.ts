// Writes a dataset straight through the shard writer, for viewer tests of shapes and dtypes no build makes yet.
import { mkdirSync } from 'node:fs';
import { DATA_OFFSET, FORMAT_VERSION, MANIFEST_FILE, encodeManifest, recordLayout, recordsPerShard, schemaHash, type Dtype, type Schema } from 'shard-format';
import { ShardSetWriter, writeAtomic } from 'shard-writer';

export interface SyntheticSample {
  key: string;
  /** H x W x C values of `dtype`. */
  values: ArrayLike<number>;
  labels: number[];
}

export async function writeSyntheticDataset(dir: string, shape: [number, number, number], dtype: Dtype, labelNames: string[], samples: SyntheticSample[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const schema: Schema = { shape, dtype, labelNames, record: recordLayout(shape, dtype, labelNames.length), preprocess: { size: shape[0], fit: 'contain', kernel: 'lanczos3', window: null, windows: null, rescale: null, intensity: 'auto' } };
  const shardBytes = 1 << 20;
  const perShard = recordsPerShard(shardBytes, DATA_OFFSET, schema.record.stride);
  const buildId = 'd'.repeat(32);
  const writer = new ShardSetWriter(dir, schema, schemaHash(schema), buildId, perShard);
  const Typed = { uint8: Uint8Array, uint16: Uint16Array, int16: Int16Array, float32: Float32Array }[dtype];
  for (const s of samples) {
    const typed = Typed.from(s.values);
    await writer.add(new Uint8Array(typed.buffer), s.labels, s.key);
  }
  const shards = await writer.finish();
  const n = samples.length;
  await writeAtomic(dir, MANIFEST_FILE, encodeManifest({ format: 'ct-shards', version: FORMAT_VERSION, schema, schemaHash: schemaHash(schema), buildId, samples: n, recordsPerShard: perShard, dataOffset: DATA_OFFSET, build: { tool: 'test', shardBytes, inputs: n, written: n, skipped: [] }, shards }));
}
