// Writes a small dataset of any stored dtype and channel count straight through the writer, as `shard build --dtype int16/float32` will.
import { mkdirSync } from 'node:fs';
import { DATA_OFFSET, DTYPE_BYTES, FORMAT_VERSION, MANIFEST_FILE, encodeManifest, recordLayout, recordsPerShard, schemaHash, type Dtype, type Schema } from 'shard-format';
import { ShardSetWriter, writeAtomic } from 'shard-writer';

export interface TypedSetSpec {
  dtype: Dtype;
  h: number;
  w: number;
  c: number;
  samples: number;
  shardBytes?: number;
}

/** Sample i's element j: signed values across the whole HU range, fractions for float32, a different pattern per channel. */
export function typedValue(dtype: Dtype, i: number, j: number): number {
  const v = ((i * 7919 + j * 104_729) % 4096) - 1024; // -1024..3071, like CT in HU
  if (dtype === 'uint8') return (v + 1024) % 256;
  if (dtype === 'uint16') return (v + 1024) * 16;
  if (dtype === 'int16') return j % 97 === 0 ? (i % 2 ? 32767 : -32768) : v; // the extremes too
  return Math.fround(v + ((i + j) % 8) / 8 - 0.3);
}

export function typedImage(dtype: Dtype, i: number, n: number): Uint8Array | Uint16Array | Int16Array | Float32Array {
  const a = dtype === 'uint8' ? new Uint8Array(n) : dtype === 'uint16' ? new Uint16Array(n) : dtype === 'int16' ? new Int16Array(n) : new Float32Array(n);
  for (let j = 0; j < n; j++) a[j] = typedValue(dtype, i, j);
  return a;
}

export const typedKey = (i: number) => `patient_${String(Math.floor(i / 5)).padStart(3, '0')}/slice_${String(i % 5).padStart(3, '0')}`;

/** Label vector of sample i (two labels). */
export const typedLabels = (i: number) => [i % 2, (i >> 1) % 2];

export async function writeTypedSet(out: string, spec: TypedSetSpec): Promise<void> {
  mkdirSync(out, { recursive: true });
  const shape: [number, number, number] = [spec.h, spec.w, spec.c];
  const labelNames = ['bleed', 'fracture'];
  const schema: Schema = {
    shape,
    dtype: spec.dtype,
    labelNames,
    record: recordLayout(shape, spec.dtype, labelNames.length),
    preprocess: { size: spec.h, fit: 'contain', kernel: 'lanczos3', window: null, windows: null, rescale: null, intensity: 'auto' },
  };
  const shardBytes = spec.shardBytes ?? DATA_OFFSET + 4 * schema.record.stride; // several shards
  const perShard = recordsPerShard(shardBytes, DATA_OFFSET, schema.record.stride);
  const buildId = '0123456789abcdef0123456789abcdef';
  const writer = new ShardSetWriter(out, schema, schemaHash(schema), buildId, perShard);
  const n = spec.h * spec.w * spec.c;
  for (let i = 0; i < spec.samples; i++) {
    const img = typedImage(spec.dtype, i, n);
    if (img.byteLength !== n * DTYPE_BYTES[spec.dtype]) throw new Error('bad test image');
    await writer.add(new Uint8Array(img.buffer), typedLabels(i), typedKey(i));
  }
  const shards = await writer.finish();
  await writeAtomic(out, MANIFEST_FILE, encodeManifest({
    format: 'ct-shards', version: FORMAT_VERSION, schema, schemaHash: schemaHash(schema), buildId, samples: spec.samples, recordsPerShard: perShard, dataOffset: DATA_OFFSET,
    build: { tool: 'test', shardBytes, inputs: spec.samples, written: spec.samples, skipped: [] }, shards,
  }));
}
