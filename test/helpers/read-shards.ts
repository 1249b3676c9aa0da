// Reads a built dataset with plain fs and shard-format only (no reader package): an independent check of the bytes.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { decodeHeader, decodeLabels, decodeManifest, decodeShardIndex, imageBytes, recordCrcOk, type Manifest } from 'shard-format';

export interface SampleOnDisk {
  key: string;
  labels: number[];
  image: Uint8Array;
  shard: string;
  record: number;
}

export function readDataset(dir: string): { manifest: Manifest; samples: SampleOnDisk[] } {
  const manifest = decodeManifest(readFileSync(path.join(dir, 'manifest.json'), 'utf8'), 'manifest.json');
  const l = manifest.schema.record;
  const samples: SampleOnDisk[] = [];
  for (const entry of manifest.shards) {
    const bytes = readFileSync(path.join(dir, entry.file));
    const header = decodeHeader(bytes, entry.file);
    const index = decodeShardIndex(readFileSync(path.join(dir, entry.index.file), 'utf8'), entry.index.file, {
      shard: entry.file,
      firstSample: entry.firstSample,
      samples: entry.samples,
      labelCount: l.labelCount,
    });
    for (let r = 0; r < header.recordCount; r++) {
      const rec = bytes.subarray(header.dataOffset + r * l.stride, header.dataOffset + (r + 1) * l.stride);
      if (!recordCrcOk(rec, l)) throw new Error(`${entry.file} record ${r}: CRC mismatch`);
      samples.push({ key: index.keys[r], labels: [...decodeLabels(rec, l)], image: new Uint8Array(imageBytes(rec, l)), shard: entry.file, record: r });
    }
  }
  return { manifest, samples };
}

/** Every file in a folder with its bytes, for byte-identical comparisons of two builds. */
export function folderBytes(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).sort().map((name) => [name, readFileSync(path.join(dir, name))]));
}
