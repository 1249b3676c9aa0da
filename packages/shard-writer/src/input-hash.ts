// Size and SHA-256 of one input file for the build plan: one read for the usual small file, streamed for a big one.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createSha256 } from 'shard-format';

/** Files up to this size are read in one call; a read stream per file cost ~10x more on a tree of small DICOM files. */
const WHOLE_READ_MAX = 16 << 20;

/** Size and SHA-256 of an input file, or undefined when it cannot be read (the decode step reports why). */
export async function hashInput(file: string): Promise<{ size: number; sha256: string } | undefined> {
  const h = createSha256();
  let size = 0;
  try {
    const handle = await open(file, 'r');
    try {
      if ((await handle.stat()).size <= WHOLE_READ_MAX) {
        // readFile on the handle reads to the end, so a file that grew since the stat is still hashed whole.
        const bytes = await handle.readFile();
        h.update(bytes);
        return { size: bytes.length, sha256: h.hex() };
      }
    } finally {
      await handle.close();
    }
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      h.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch {
    return undefined;
  }
  return { size, sha256: h.hex() };
}
