// The addon's one-call batch gather (native/gather.cc): bytes, labels, CRC and key checks, bounds, SIGBUS.
import { closeSync, mkdtempSync, openSync, rmSync, readSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATA_OFFSET, encodeRecord, keyCrc, recordLayout } from 'shard-format';
import { loadMmapAddon, type MappingHandle } from '../../src/io/addon.js';

const addon = loadMmapAddon();
const dir = mkdtempSync(path.join(os.tmpdir(), 'gather-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 300 bytes per image: not a multiple of 16 or 64, so the fused fold's tail and the unaligned label offset are both exercised.
const layout = recordLayout([10, 10, 3], 'uint8', 3);
const SEED = 12345;
const keyOf = (s: number, r: number) => `p${s}/slice_${r}`;
const imageOf = (s: number, r: number) => Uint8Array.from({ length: layout.imageBytes }, (_, i) => (i * 7 + s * 31 + r * 13) & 0xff);
const labelsOf = (s: number, r: number) => [s, r, 0.5 + s * r];

/** A shard file of `count` records (shard number s), its path. */
function writeShard(s: number, count: number): string {
  const bytes = new Uint8Array(DATA_OFFSET + count * layout.stride);
  for (let r = 0; r < count; r++) encodeRecord(bytes.subarray(DATA_OFFSET + r * layout.stride, DATA_OFFSET + (r + 1) * layout.stride), layout, imageOf(s, r), labelsOf(s, r), keyOf(s, r), SEED);
  const file = path.join(dir, `shard-${s}.bin`);
  writeFileSync(file, bytes);
  return file;
}

function mapFile(file: string): { handle: MappingHandle; fd: number } {
  const fd = openSync(file, 'r');
  const size = DATA_OFFSET + 5 * layout.stride;
  return { handle: addon!.map(fd, 0, size), fd };
}

const layoutArg = Uint32Array.of(layout.imageBytes, layout.stride, layout.labelsOffset, layout.labelCount, layout.keyCrcOffset, layout.crcOffset);
const at = (r: number) => DATA_OFFSET + r * layout.stride;

describe.skipIf(!addon)('addon.gather', () => {
  const files = [writeShard(0, 5), writeShard(1, 5)];
  const maps = files.map(mapFile);
  const handles = maps.map((m) => m.handle);
  afterAll(() => maps.forEach((m) => (addon!.unmap(m.handle), closeSync(m.fd))));
  // Records (shard, record), out of order and across both shards.
  const picks: [number, number][] = [[1, 4], [0, 0], [0, 3], [1, 1], [1, 4]];
  const shards = Uint32Array.from(picks, ([s]) => s);
  const offsets = Float64Array.from(picks, ([, r]) => at(r));
  const keyCrcs = Uint32Array.from(picks, ([s, r]) => keyCrc(keyOf(s, r), SEED));

  it('copies every record of the batch with its labels in one call, checks passing', () => {
    const images = new Uint8Array(picks.length * layout.imageBytes);
    const labels = new Float32Array(picks.length * layout.labelCount);
    expect(addon!.gather(handles, shards, offsets, images, labels, keyCrcs, layoutArg)).toBe(-1);
    picks.forEach(([s, r], i) => {
      expect(images.subarray(i * layout.imageBytes, (i + 1) * layout.imageBytes)).toEqual(imageOf(s, r));
      expect([...labels.subarray(i * 3, i * 3 + 3)]).toEqual([...Float32Array.from(labelsOf(s, r))]);
    });
    // Verify off (keyCrcs null): the same bytes.
    const again = new Uint8Array(images.length);
    expect(addon!.gather(handles, shards, offsets, again, new Float32Array(labels.length), null, layoutArg)).toBe(-1);
    expect(again).toEqual(images);
  });

  it('stacks every run of stackWidth records as one sample\'s channels while gathering (context batches)', () => {
    // Two samples of three slices each: 6 records.
    const rowsOf: [number, number][] = [[0, 0], [0, 1], [0, 2], [1, 3], [1, 4], [1, 4]];
    const images = new Uint8Array(6 * layout.imageBytes);
    const labels = new Float32Array(6 * layout.labelCount);
    const kc = Uint32Array.from(rowsOf, ([s, r]) => keyCrc(keyOf(s, r), SEED));
    // Pixels of 3 bytes (10 x 10 x 3 images): each slice's pixel p is 3 bytes, stacked as 9 channels.
    expect(addon!.gather(handles, Uint32Array.from(rowsOf, ([s]) => s), Float64Array.from(rowsOf, ([, r]) => at(r)), images, labels, kc, layoutArg, 3, 3)).toBe(-1);
    for (let sample = 0; sample < 2; sample++)
      for (let p = 0; p < 100; p++)
        for (let j = 0; j < 3; j++) {
          const [s, r] = rowsOf[sample * 3 + j];
          const got = images.subarray(sample * 3 * layout.imageBytes + (p * 3 + j) * 3, sample * 3 * layout.imageBytes + (p * 3 + j) * 3 + 3);
          expect(got).toEqual(imageOf(s, r).subarray(p * 3, p * 3 + 3));
        }
    expect([...labels.subarray(9, 12)]).toEqual([...Float32Array.from(labelsOf(1, 3))]);
    expect(() => addon!.gather(handles, shards, offsets, new Uint8Array(5 * layout.imageBytes), new Float32Array(15), keyCrcs, layoutArg, 3, 3)).toThrow(/whole rows/);
  });

  it('names the first record whose key CRC differs (4 i + 2), records before it complete', () => {
    const wrong = keyCrcs.slice();
    wrong[3] ^= 1;
    const images = new Uint8Array(picks.length * layout.imageBytes);
    expect(addon!.gather(handles, shards, offsets, images, new Float32Array(15), wrong, layoutArg)).toBe(4 * 3 + 2);
    expect(images.subarray(2 * layout.imageBytes, 3 * layout.imageBytes)).toEqual(imageOf(0, 3));
  });

  it('names the first record whose bytes fail their CRC (4 i + 1), in the image or in its labels', () => {
    for (const byte of [0, 299, layout.labelsOffset + 5]) {
      const file = writeShard(2, 5);
      const fd = openSync(file, 'r+');
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, at(2) + byte);
      b[0] ^= 0xff;
      writeSync(fd, b, 0, 1, at(2) + byte);
      const m = addon!.map(fd, 0, DATA_OFFSET + 5 * layout.stride);
      try {
        const sh = Uint32Array.of(2, 2, 2);
        const off = Float64Array.of(at(1), at(2), at(3));
        const kc = Uint32Array.of(keyCrc(keyOf(2, 1), SEED), keyCrc(keyOf(2, 2), SEED), keyCrc(keyOf(2, 3), SEED));
        expect(addon!.gather([undefined, undefined, m], sh, off, new Uint8Array(900), new Float32Array(9), kc, layoutArg)).toBe(4 * 1 + 1);
        // Unchecked, the damaged record is copied as it is.
        expect(addon!.gather([undefined, undefined, m], sh, off, new Uint8Array(900), new Float32Array(9), null, layoutArg)).toBe(-1);
      } finally {
        addon!.unmap(m);
        closeSync(fd);
      }
    }
  });

  it('refuses records outside their mapping, short outputs and foreign handles before reading anything', () => {
    const images = new Uint8Array(picks.length * layout.imageBytes);
    const labels = new Float32Array(15);
    expect(() => addon!.gather(handles, shards, Float64Array.of(at(4), at(5), 0, 0, 0), images, labels, keyCrcs, layoutArg)).toThrow(/record 1 .* is outside its mapping/);
    expect(() => addon!.gather(handles, shards, offsets, images.subarray(1), labels, keyCrcs, layoutArg)).toThrow(/images cannot hold 5 records/);
    expect(() => addon!.gather(handles, shards, offsets, images, labels.subarray(1), keyCrcs, layoutArg)).toThrow(/labels cannot hold/);
    expect(() => addon!.gather([handles[0]], shards, offsets, images, labels, keyCrcs, layoutArg)).toThrow(/mappings\[1\] is not a handle/);
    expect(() => addon!.gather([{}, {}] as never, shards, offsets, images, labels, keyCrcs, layoutArg)).toThrow(/not a handle/);
  });

  it('turns a SIGBUS (file truncated under the mapping) into an error naming the record, and the process lives', () => {
    const file = writeShard(3, 5);
    const fd = openSync(file, 'r');
    const m = addon!.map(fd, 0, DATA_OFFSET + 5 * layout.stride);
    try {
      truncateSync(file, DATA_OFFSET); // every record's page is gone
      const run = () => addon!.gather([undefined, undefined, undefined, m], Uint32Array.of(3, 3), Float64Array.of(at(0), at(4)), new Uint8Array(600), new Float32Array(6), null, layoutArg);
      expect(run).toThrow(/SIGBUS reading byte/);
      try {
        run();
      } catch (err) {
        expect(err).toMatchObject({ code: 'ERR_SHARD_MAPPING_FAULT', record: 0 });
        expect((err as { faultOffset: number }).faultOffset).toBeGreaterThanOrEqual(DATA_OFFSET);
      }
    } finally {
      addon!.unmap(m);
      closeSync(fd);
    }
  });
});
