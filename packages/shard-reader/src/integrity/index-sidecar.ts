// Checks the bytes of a shard's index sidecar against the manifest: SHA-256, then its content.
import { decodeShardIndex, sha256Hex, type Manifest, type ShardIndex } from 'shard-format';
import { bareMessage } from './problem.js';

export const INDEX_HASH_MISMATCH = 'SHA-256 does not match the manifest (index damaged or replaced)';

export interface IndexCheck {
  /** The decoded index, when it decodes (even if its hash is wrong: verify still compares it with the shard). */
  index?: ShardIndex;
  /** True when the bytes are the ones the manifest describes. */
  hashOk: boolean;
  problems: string[];
}

/** Checks shard `s`'s index sidecar bytes (already known to be the right size): hash, then decoding and content. */
export function checkIndexBytes(bytes: Uint8Array, manifest: Manifest, s: number): IndexCheck {
  const entry = manifest.shards[s];
  const problems: string[] = [];
  const hashOk = sha256Hex(bytes) === entry.index.sha256;
  if (!hashOk) problems.push(INDEX_HASH_MISMATCH);
  try {
    const expect = { shard: entry.file, firstSample: entry.firstSample, samples: entry.samples, labelCount: manifest.schema.labelNames.length };
    const index = decodeShardIndex(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'), entry.index.file, expect);
    return { index, hashOk, problems };
  } catch (err) {
    problems.push(bareMessage(err, entry.index.file));
    return { hashOk, problems };
  }
}
