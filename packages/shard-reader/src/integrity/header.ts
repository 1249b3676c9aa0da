// Checks a shard's header page (header, then zero padding up to the data offset) against the manifest.
import { DATA_OFFSET, HEADER_BYTES, checkHeaderAgainstManifest, decodeHeader, type Manifest } from 'shard-format';
import { bareMessage } from './problem.js';

/**
 * The problems of shard `s`'s header page, given its first min(size, DATA_OFFSET) bytes: a header that
 * does not decode or disagrees with the manifest (the first disagreement), and non-zero padding.
 */
export function headerProblems(page: Uint8Array, manifest: Manifest, s: number): string[] {
  const entry = manifest.shards[s];
  const out: string[] = [];
  try {
    checkHeaderAgainstManifest(decodeHeader(page.subarray(0, Math.min(page.length, HEADER_BYTES)), entry.file), manifest, s, entry);
  } catch (err) {
    out.push(bareMessage(err, entry.file));
  }
  const end = Math.min(page.length, DATA_OFFSET);
  for (let i = HEADER_BYTES; i < end; i++) {
    if (page[i] !== 0) {
      out.push(`header padding is not zero (byte ${i}; bytes ${HEADER_BYTES}..${DATA_OFFSET - 1} must be zero)`);
      break;
    }
  }
  return out;
}
