// One read per input before the plan: its size and SHA-256 (for the build plan) and, for DICOM, its header
// (for discovery), done together in a decoder thread so the main thread never parses or hashes inputs.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createSha256 } from 'shard-format';
import { readDicomHeadSync, type DicomHead } from './dicom-slice-meta.js';
import { WHOLE_READ_MAX } from './input-hash.js';

export interface InputScan {
  /** Size and SHA-256, as hashInput gives them; absent when the file cannot be read (decoding reports why). */
  content?: { size: number; sha256: string };
  /** DICOM only: its header, absent when it is not readable DICOM (decoding reports why). */
  head?: DicomHead;
}

const CHUNK = 1 << 20;

/** Hashes `file` and, when `dicom`, reads its header; never throws (what cannot be read is left out). */
export function scanInput(file: string, dicom: boolean): InputScan {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return {};
  }
  try {
    const h = createSha256();
    let size = 0;
    let whole: Uint8Array | undefined;
    const expected = fstatSync(fd).size;
    if (expected <= WHOLE_READ_MAX) {
      // Read to the end, as readFile does: a file that grew since the stat is still hashed whole (one
      // spare byte, so the usual file is read with no copy and one more read that finds the end).
      let bytes: Buffer = Buffer.allocUnsafe(expected + 1);
      for (let n; (n = readSync(fd, bytes, size, bytes.length - size, size)) > 0; ) {
        size += n;
        if (size === bytes.length) bytes = grow(bytes);
      }
      whole = bytes.subarray(0, size);
      h.update(whole);
    } else {
      const chunk = Buffer.allocUnsafe(CHUNK);
      for (let n; (n = readSync(fd, chunk, 0, CHUNK, size)) > 0; size += n) h.update(chunk.subarray(0, n));
    }
    const scan: InputScan = { content: { size, sha256: h.hex() } };
    if (dicom) {
      try {
        scan.head = readDicomHeadSync(file, fd, size, whole);
      } catch {
        // not readable DICOM: the decode step reports it
      }
    }
    return scan;
  } catch {
    return {};
  } finally {
    closeSync(fd);
  }
}

function grow(bytes: Buffer): Buffer {
  const bigger = Buffer.allocUnsafe(bytes.length * 2);
  bytes.copy(bigger);
  return bigger;
}
