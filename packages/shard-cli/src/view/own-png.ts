// Writes a PNG the tool made, atomically, and never over a file it did not make: ours carry a tEXt marker.
import { closeSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'shard-format';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const MARK = Buffer.from('Software\0shard inspect --grid', 'latin1');

/** `png` with a tEXt chunk saying which tool wrote it, placed right after IHDR. */
export function markPng(png: Buffer): Buffer {
  if (!png.subarray(0, 8).equals(SIGNATURE) || png.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG from the encoder');
  const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
  const type = Buffer.from('tEXt', 'latin1');
  const chunk = Buffer.alloc(12 + MARK.length);
  chunk.writeUInt32BE(MARK.length, 0);
  type.copy(chunk, 4);
  MARK.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(Buffer.concat([type, MARK])), 8 + MARK.length);
  return Buffer.concat([png.subarray(0, ihdrEnd), chunk, png.subarray(ihdrEnd)]);
}

/** True when `file` starts like a PNG markPng produced. */
export function isOurPng(file: string): boolean {
  const head = Buffer.alloc(8 + 25 + 12 + MARK.length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  return head.subarray(0, 8).equals(SIGNATURE) && head.subarray(8 + 25 + 8, 8 + 25 + 8 + MARK.length).equals(MARK);
}

/**
 * Writes `png` (marked) to `out`. Refuses a path inside `datasetDir` (viewers never write to a dataset)
 * and an existing file that is not a sheet of ours; writes a temporary file beside it, then renames.
 */
export function writeOwnPng(out: string, png: Buffer, datasetDir: string): void {
  const target = path.resolve(out);
  const rel = path.relative(path.resolve(datasetDir), target);
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) throw new OutputRefused(`${out}: is inside the dataset folder ${datasetDir}; write the sheet somewhere else`);
  const st = statSync(target, { throwIfNoEntry: false });
  if (st && !st.isFile()) throw new OutputRefused(`${out}: exists and is not a file`);
  if (st && !isOurPng(target)) throw new OutputRefused(`${out}: exists and was not written by shard inspect --grid; not replacing it`);
  const tmp = `${target}.${process.pid}.partial`;
  try {
    writeFileSync(tmp, markPng(png), { flag: 'wx' });
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export class OutputRefused extends Error {
  override name = 'OutputRefused';
}
