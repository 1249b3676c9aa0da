// Splits a whole build plan into n parts at shard boundaries: which inputs (and which of their samples) part k writes.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import * as nifti from 'nifti-reader-js';
import { parseDicomBytes } from './decode/dicom-header.js';
import type { PlannedSlice } from './join-labels.js';

/** `--part k/n`: part k (0-based) of n. */
export interface PartSpec {
  k: number;
  n: number;
}

/** What part k of the plan writes. Shard and sample numbers are those of the whole one-machine build. */
export interface PartRange {
  /** Shards [firstShard, endShard) of the whole plan. */
  firstShard: number;
  endShard: number;
  /** Samples [firstSample, endSample) of the whole plan (as planned: no input skipped). */
  firstSample: number;
  endSample: number;
  /** Shards and samples of the whole plan. */
  totalShards: number;
  totalSamples: number;
  /** Inputs [firstInput, endInput) in plan order that this part decodes. */
  firstInput: number;
  endInput: number;
  /** Samples of the first input written by an earlier part (a volume cut by the part boundary). */
  skipFirst: number;
  /** Samples of the last input this part writes (the rest belong to the next part), or undefined for all. */
  takeLast: number | undefined;
  /** Planned sample count of each input in [firstInput, endInput). */
  counts: number[];
}

/**
 * Samples each input yields, read from headers: one per PNG/JPEG/TIFF and single-frame DICOM,
 * NumberOfFrames for multi-frame DICOM, slices x volumes for NIfTI, none for an input whose labels
 * failed (it is always skipped). A header that cannot be read counts one: decoding then reports it.
 */
export async function plannedCounts(slices: PlannedSlice[]): Promise<number[]> {
  const counts: number[] = [];
  const CHUNK = 16;
  for (let i = 0; i < slices.length; i += CHUNK) counts.push(...(await Promise.all(slices.slice(i, i + CHUNK).map(countOf))));
  return counts;
}

async function countOf(s: PlannedSlice): Promise<number> {
  if (s.error) return 0;
  if (!s.format || !s.many) return 1;
  try {
    if (s.format === 'nifti') return await niftiCount(s.file);
    const bytes = await readFile(s.file);
    return Math.max(1, parseDicomBytes(s.file, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)).intString('x00280008') ?? 1);
  } catch {
    return 1;
  }
}

/** dim[3] x dim[4] of a NIfTI-1/2 header (only the first 544 bytes are read, gunzipped when needed). */
async function niftiCount(file: string): Promise<number> {
  const head = await readHead(file, 544);
  const buffer = head.buffer.slice(head.byteOffset, head.byteOffset + head.byteLength) as ArrayBuffer;
  if (!nifti.isNIFTI(buffer)) return 1;
  const dims = nifti.readHeader(buffer).dims.map(Number);
  const extent = (i: number) => (i <= dims[0] ? Math.max(1, dims[i]) : 1);
  return extent(3) * extent(4);
}

async function readHead(file: string, bytes: number): Promise<Buffer> {
  const raw = createReadStream(file, { start: 0, end: 1 });
  const magic: Buffer[] = [];
  for await (const c of raw) magic.push(c as Buffer);
  const gz = Buffer.concat(magic);
  const source = createReadStream(file);
  const stream = gz[0] === 0x1f && gz[1] === 0x8b ? source.pipe(createGunzip()) : source;
  const got: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of stream) {
      got.push(c as Buffer);
      n += (c as Buffer).length;
      if (n >= bytes) break;
    }
  } finally {
    source.destroy();
    stream.destroy();
  }
  return Buffer.concat(got).subarray(0, bytes);
}

/**
 * Part k gets shards [floor(kT/n), floor((k+1)T/n)) of the T shards a one-machine build writes, and
 * decodes every input with a planned sample in that range (a volume cut by the boundary is decoded by
 * both parts, each writing its own samples). An input with no planned sample belongs to the part whose
 * range holds its position.
 */
export function partRange(counts: number[], perShard: number, part: PartSpec): PartRange {
  const totalSamples = counts.reduce((a, b) => a + b, 0);
  const totalShards = Math.ceil(totalSamples / perShard);
  const firstShard = Math.floor((part.k * totalShards) / part.n);
  const endShard = Math.floor(((part.k + 1) * totalShards) / part.n);
  const firstSample = Math.min(totalSamples, firstShard * perShard);
  const endSample = Math.min(totalSamples, endShard * perShard);
  const last = part.k === part.n - 1;
  let firstInput = -1;
  let endInput = 0;
  let skipFirst = 0;
  let takeLast: number | undefined;
  let at = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    const mine = c > 0 ? at < endSample && at + c > firstSample : at >= firstSample && (at < endSample || last);
    if (mine) {
      if (firstInput < 0) {
        firstInput = i;
        skipFirst = Math.max(0, firstSample - at);
      }
      endInput = i + 1;
      takeLast = c > 0 && at + c > endSample ? endSample - at : undefined;
    }
    at += c;
  }
  if (firstInput < 0) firstInput = endInput = 0;
  return { firstShard, endShard, firstSample, endSample, totalShards, totalSamples, firstInput, endInput, skipFirst, takeLast, counts: counts.slice(firstInput, endInput) };
}
