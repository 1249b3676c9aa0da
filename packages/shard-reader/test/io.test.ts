// Record I/O layer: mmap and pread backends agree byte for byte, reject bad ranges, and release resources.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FileChangedError,
  liveMappings,
  mmapSourceFromFd,
  loadMmapAddon,
  mmapUnavailableReason,
  openMmapSource,
  openPreadSource,
  openSource,
  type RecordSource,
} from '../src/index.js';

const addon = loadMmapAddon();
const skipReason = mmapUnavailableReason();
if (skipReason) console.warn(`shard-reader io tests: mmap tests skipped: ${skipReason}`);
const describeMmap = describe.skipIf(addon === undefined);

const addonPath = fileURLToPath(new URL('../build/Release/shard_mmap.node', import.meta.url));
const page = addon?.pageSize ?? 4096;

let dir: string;
const files: Record<string, { path: string; bytes: Uint8Array }> = {};

function makeFile(name: string, size: number) {
  const bytes = new Uint8Array(randomBytes(size));
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  files[name] = { path: file, bytes };
}

// Deterministic pseudo-random ranges (mulberry32) so a failure can be reproduced.
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const opened: RecordSource[] = [];
function track(source: RecordSource): RecordSource {
  opened.push(source);
  return source;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'shard-reader-io-'));
  makeFile('small.bin', 1000); // less than a page
  makeFile('odd.bin', 3 * page + 1234); // more than a page, not a page multiple
  makeFile('big.bin', 5 * 1024 * 1024 + 77);
  makeFile('page.bin', 2 * page); // exactly a page multiple
  makeFile('empty.bin', 0);
});

afterEach(() => {
  for (const source of opened.splice(0)) source.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function checkAgainstFile(source: RecordSource, bytes: Uint8Array, seed: number) {
  const random = rng(seed);
  expect(source.size).toBe(bytes.length);
  const target = new Uint8Array(bytes.length + 64);
  for (let i = 0; i < 300; i++) {
    const offset = Math.floor(random() * (bytes.length + 1));
    const length = Math.floor(random() * (bytes.length - offset + 1));
    const expected = bytes.subarray(offset, offset + length);
    expect(Buffer.from(source.read(offset, length)).equals(expected)).toBe(true);
    const at = Math.floor(random() * 64);
    const filled = source.read(offset, length, target, at);
    expect(filled.buffer).toBe(target.buffer);
    expect(filled.byteOffset).toBe(at);
    expect(Buffer.from(filled).equals(expected)).toBe(true);
    const cut = Math.floor(random() * (length + 1));
    const head = new Uint8Array(cut);
    const tail = new Uint8Array(length - cut);
    source.readSplit(offset, head, tail);
    expect(Buffer.concat([head, tail]).equals(expected)).toBe(true);
  }
  // Edges: whole file, last byte, empty read at the end.
  expect(Buffer.from(source.read(0, bytes.length)).equals(bytes)).toBe(true);
  if (bytes.length > 0) expect(source.read(bytes.length - 1, 1)[0]).toBe(bytes[bytes.length - 1]);
  expect(source.read(bytes.length, 0).length).toBe(0);
}

function checkOutOfBounds(source: RecordSource, name: string) {
  const size = source.size;
  const cases: Array<[number, number]> = [
    [0, size + 1],
    [size, 1],
    [size + 1, 0],
    [-1, 1],
    [0, -1],
    [1.5, 1],
    [0, Number.NaN],
    [Number.MAX_SAFE_INTEGER, 1],
    [2 ** 60, 0],
  ];
  for (const [offset, length] of cases) {
    expect(() => source.read(offset, length), `read(${offset}, ${length})`).toThrow(RangeError);
    expect(() => source.read(offset, length), `read(${offset}, ${length})`).toThrow(name);
    if (Number.isSafeInteger(length) && length >= 0 && length < 1 << 20) expect(() => source.readSplit(offset, new Uint8Array(length), new Uint8Array(0))).toThrow(RangeError);
    expect(() => source.advise(offset, length, 'random')).toThrow(RangeError);
  }
  // A target too small for the read.
  if (size >= 8) expect(() => source.read(0, 8, new Uint8Array(4), 0)).toThrow(RangeError);
  expect(() => source.read(0, 1, new Uint8Array(4), 4)).toThrow(RangeError);
  expect(() => source.read(0, 0, new Uint8Array(4), 5)).toThrow(RangeError);
}

describe('pread backend (works without the addon)', () => {
  it('reads the same bytes as the file for random ranges', () => {
    for (const [name, { path: file, bytes }] of Object.entries(files)) {
      const source = track(openPreadSource(file));
      expect(source.backend).toBe('pread');
      checkAgainstFile(source, bytes, name.length);
    }
  });

  it('throws a RangeError naming the file for out-of-bounds reads', () => {
    const { path: file } = files['odd.bin'];
    checkOutOfBounds(track(openPreadSource(file)), 'odd.bin');
  });

  it('close() is idempotent and later reads throw an Error naming the file', () => {
    const source = openPreadSource(files['small.bin'].path);
    source.close();
    source.close();
    expect(source.closed).toBe(true);
    expect(() => source.read(0, 1)).toThrow(/small\.bin is closed/);
    expect(() => source.advise(0, 0, 'random')).toThrow(/small\.bin is closed/);
  });

  it('advise() accepts every hint', () => {
    const source = track(openPreadSource(files['big.bin'].path));
    for (const hint of ['sequential', 'random', 'willneed', 'dontneed'] as const) source.advise(0, 0, hint);
    expect(Buffer.from(source.read(0, 100)).equals(files['big.bin'].bytes.subarray(0, 100))).toBe(true);
  });

  it('reports a missing file with its path', () => {
    expect(() => openPreadSource(path.join(dir, 'missing.bin'))).toThrow(/missing\.bin/);
    expect(() => openSource(path.join(dir, 'missing.bin'))).toThrow(/missing\.bin/);
  });

  it('SHARD_READER_NO_MMAP=1 makes auto pick pread and mmap refuse', () => {
    const saved = process.env.SHARD_READER_NO_MMAP;
    process.env.SHARD_READER_NO_MMAP = '1';
    try {
      expect(loadMmapAddon()).toBeUndefined();
      expect(mmapUnavailableReason()).toMatch(/SHARD_READER_NO_MMAP/);
      const source = track(openSource(files['odd.bin'].path));
      expect(source.backend).toBe('pread');
      checkAgainstFile(source, files['odd.bin'].bytes, 7);
      expect(() => openMmapSource(files['odd.bin'].path)).toThrow(/cannot mmap .*odd\.bin/);
    } finally {
      if (saved === undefined) delete process.env.SHARD_READER_NO_MMAP;
      else process.env.SHARD_READER_NO_MMAP = saved;
    }
  });

  it('rejects an unknown backend', () => {
    expect(() => openSource(files['small.bin'].path, 'bogus' as never)).toThrow(TypeError);
  });
});

describeMmap('mmap backend (native addon)', () => {
  it('auto picks mmap when the addon is built', () => {
    expect(track(openSource(files['small.bin'].path)).backend).toBe('mmap');
  });

  it('reads the same bytes as pread for random ranges', () => {
    for (const [name, { path: file, bytes }] of Object.entries(files)) {
      const mmap = track(openMmapSource(file));
      const pread = track(openPreadSource(file));
      expect(mmap.backend).toBe('mmap');
      checkAgainstFile(mmap, bytes, name.length + 100);
      const random = rng(name.length);
      for (let i = 0; i < 200; i++) {
        const offset = Math.floor(random() * (bytes.length + 1));
        const length = Math.min(bytes.length - offset, Math.floor(random() * 3 * page));
        expect(Buffer.from(mmap.read(offset, length)).equals(pread.read(offset, length))).toBe(true);
      }
    }
  });

  it('throws a RangeError naming the file for out-of-bounds reads, never crashes', () => {
    checkOutOfBounds(track(openMmapSource(files['odd.bin'].path)), 'odd.bin');
    checkOutOfBounds(track(openMmapSource(files['empty.bin'].path)), 'empty.bin');
  });

  it('advise() accepts every hint on unaligned ranges', () => {
    const { path: file, bytes } = files['odd.bin'];
    const source = track(openMmapSource(file));
    for (const hint of ['sequential', 'random', 'willneed', 'dontneed'] as const) {
      source.advise(page + 17, 100, hint);
      source.advise(0, 0, hint);
    }
    // dontneed on a shared file mapping only drops page-table entries: data is still there.
    expect(Buffer.from(source.read(0, bytes.length)).equals(bytes)).toBe(true);
  });

  it('close() releases the mapping and is idempotent', () => {
    const before = liveMappings();
    const sources = Object.values(files).map(({ path: file }) => openMmapSource(file));
    const mapped = sources.filter((s) => s.size > 0).length;
    expect(liveMappings()).toBe(before + mapped);
    for (const source of sources) source.close();
    for (const source of sources) source.close();
    expect(liveMappings()).toBe(before);
    expect(() => sources[0].read(0, 1)).toThrow(/small\.bin is closed/);
    expect(() => sources[0].readSplit(0, new Uint8Array(1), new Uint8Array(1))).toThrow(/small\.bin is closed/);
    expect(() => sources[0].advise(0, 1, 'random')).toThrow(/small\.bin is closed/);
  });

  it('the addon validates its own arguments', () => {
    const fd = openSync(files['odd.bin'].path, 'r');
    try {
      const size = files['odd.bin'].bytes.length;
      expect(() => addon!.map(fd, 0, 0)).toThrow(RangeError);
      expect(() => addon!.map(fd, 1, 10)).toThrow(/page size/);
      expect(() => addon!.map(fd, 0, size + 1)).toThrow(/past the end/);
      expect(() => addon!.map(fd, page * 4, 1)).toThrow(/past the end/);
      expect(() => addon!.map(fd, -page, 1)).toThrow(RangeError);
      expect(() => addon!.map(fd, 0, 2 ** 64)).toThrow(RangeError);
      expect(() => addon!.map(fd, 0, 1.5)).toThrow(RangeError);
      expect(() => addon!.map('3' as never, 0, 1)).toThrow(TypeError);
      expect(() => addon!.map(fd, 0, undefined as never)).toThrow(TypeError);
      expect(() => addon!.map(1_000_000, 0, 1)).toThrow(/EBADF|Bad file/);
      expect(() => addon!.fadvise(fd, 0, 0, 'sometimes' as never)).toThrow(TypeError);

      const before = addon!.liveMappings();
      const mapping = addon!.map(fd, page, size - page);
      expect(addon!.liveMappings()).toBe(before + 1);
      // An opaque handle: no bytes of the mapping are reachable from JavaScript.
      expect(mapping instanceof ArrayBuffer || ArrayBuffer.isView(mapping)).toBe(false);
      expect(Object.keys(mapping)).toEqual([]);
      const whole = new Uint8Array(size - page);
      addon!.copy(mapping, 0, whole, 0, whole.length);
      expect(Buffer.from(whole).equals(files['odd.bin'].bytes.subarray(page))).toBe(true);
      const [a, b] = [new Uint8Array(20), new Uint8Array(30)];
      addon!.copy(mapping, 100, a, 5, 10, b, 7, 20);
      expect(Buffer.from(a.subarray(5, 15)).equals(files['odd.bin'].bytes.subarray(page + 100, page + 110))).toBe(true);
      expect(Buffer.from(b.subarray(7, 27)).equals(files['odd.bin'].bytes.subarray(page + 110, page + 130))).toBe(true);
      expect(() => addon!.copy(mapping, size - page - 5, a, 0, 10)).toThrow(/outside the mapping/);
      expect(() => addon!.copy(mapping, 0, a, 15, 10)).toThrow(/do not fit/);
      expect(() => addon!.copy(mapping, 0, new Uint16Array(4) as never, 0, 1)).toThrow(TypeError);
      expect(() => addon!.copy({} as never, 0, a, 0, 1)).toThrow(/handle returned by map/);
      expect(() => addon!.advise(mapping, 0, size, 'random')).toThrow(RangeError);
      expect(() => addon!.advise(new ArrayBuffer(8) as never, 0, 1, 'random')).toThrow(TypeError);
      expect(() => addon!.unmap(new ArrayBuffer(8) as never)).toThrow(TypeError);
      expect(addon!.unmap(mapping)).toBe(true);
      expect(addon!.unmap(mapping)).toBe(false);
      expect(() => addon!.advise(mapping, 0, 0, 'random')).toThrow(/live mapping/);
      expect(() => addon!.copy(mapping, 0, a, 0, 1)).toThrow(/live mapping/);
      expect(addon!.liveMappings()).toBe(before);
    } finally {
      closeSync(fd);
    }
  });

  it('the GC finalizer unmaps dropped buffers and never double-unmaps explicitly unmapped ones', () => {
    // A child with --expose-gc, so collection can be forced.
    const script = `
      const fs = require('node:fs');
      const addon = require(${JSON.stringify(addonPath)});
      const fd = fs.openSync(${JSON.stringify(files['big.bin'].path)}, 'r');
      let dropped = Array.from({ length: 50 }, () => addon.map(fd, 0, 1 << 20));
      const explicit = Array.from({ length: 50 }, () => addon.map(fd, 0, 1 << 20));
      const peak = addon.liveMappings();
      for (const b of explicit) addon.unmap(b);
      const afterUnmap = addon.liveMappings();
      dropped = null;
      explicit.length = 0;
      let rounds = 0;
      (function collect() {
        globalThis.gc();
        if (addon.liveMappings() > 0 && ++rounds < 50) return setTimeout(collect, 10);
        // Map again after everything was released: the finalizers must not touch the new mappings.
        const again = addon.map(fd, 0, 4096);
        globalThis.gc();
        setTimeout(() => {
          const byte = new Uint8Array(1);
          addon.copy(again, 0, byte, 0, 1);
          console.log(JSON.stringify({ peak, afterUnmap, afterGc: addon.liveMappings(), byte: byte[0] }));
        }, 20);
      })();
    `;
    const child = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(0);
    const result = JSON.parse(child.stdout.trim()) as Record<string, number>;
    expect(result).toEqual({ peak: 100, afterUnmap: 50, afterGc: 1, byte: files['big.bin'].bytes[0] });
  });
});

// A file that shrinks under a source: an Error naming it, never a signal; SIGBUS not raised by a guarded copy
// still reaches whoever handled it before the addon, or kills the process as without it.
describe('files that change under a source', () => {
  const shrinkAndRead = (open: (file: string) => RecordSource) => {
    const file = path.join(dir, `shrinks-${open.name}.bin`);
    writeFileSync(file, randomBytes(4 * page));
    const source = track(open(file));
    expect(source.read(page, 10).length).toBe(10);
    writeFileSync(file, randomBytes(100)); // truncates in place, as cp does
    expect(() => source.read(2 * page, 100)).toThrow(FileChangedError);
    expect(() => source.readSplit(3 * page, new Uint8Array(10), new Uint8Array(10))).toThrow(new RegExp(`${file}: changed while being read`));
  };

  it('pread: a short read is a FileChangedError naming the file', () => shrinkAndRead(openPreadSource));
  it.skipIf(!addon)('mmap: the SIGBUS of the copy is a FileChangedError naming the file', () => shrinkAndRead(openMmapSource));

  it.skipIf(!addon)('mmap: a source made from a descriptor says how much the file shrank', () => {
    const file = path.join(dir, 'shrinks-fd.bin');
    writeFileSync(file, randomBytes(4 * page));
    const fd = openSync(file, 'r');
    try {
      const source = track(mmapSourceFromFd(file, fd, { size: 4 * page }));
      writeFileSync(file, randomBytes(100));
      expect(() => source.read(3 * page, 8)).toThrow(`it is 100 bytes now, ${4 * page} when opened: truncated or rewritten in place`);
      expect(source.currentSize()).toBe(100);
      source.close();
      expect(() => mmapSourceFromFd(file, fd, { size: 4 * page })).toThrow(/changed while being read \(before it could be mapped\)/);
    } finally {
      closeSync(fd);
    }
  });

  const child = (script: string) => spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  const setup = (file: string) => `
    const fs = require('node:fs');
    const addon = require(${JSON.stringify(addonPath)});
    fs.writeFileSync(${JSON.stringify(file)}, Buffer.alloc(${8 * page}, 7));
    const fd = fs.openSync(${JSON.stringify(file)}, 'r');
    const mapping = addon.map(fd, 0, ${8 * page});
  `;

  it.skipIf(!addon)('mmap: guarded copies fault cleanly on worker threads too, and the process goes on', () => {
    const file = path.join(dir, 'worker-fault.bin');
    const r = child(`
      const { Worker } = require('node:worker_threads');
      const w = new Worker(${JSON.stringify(setup(file))} + \`
        fs.truncateSync(${JSON.stringify(file)}, 10);
        const out = new Uint8Array(${page});
        const codes = [];
        for (let i = 0; i < 1000; i++) try { addon.copy(mapping, ${4 * page}, out, 0, ${page}); } catch (e) { codes.push(e.code); }
        require('node:worker_threads').parentPort.postMessage(new Set(codes).size === 1 ? codes[0] + ' x' + codes.length : 'mixed');
      \`, { eval: true });
      w.on('message', (m) => console.log(m));
    `);
    expect({ status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, signal: null, stdout: 'ERR_SHARD_MAPPING_FAULT x1000\n', stderr: '' });
  });

  // After a fault it handled (SIGBUS unblocked again, handler still in place), one that is not a copy's.
  const faultThen = (file: string) => `${setup(file)}
    fs.truncateSync(${JSON.stringify(file)}, 10);
    try { addon.copy(mapping, ${4 * page}, new Uint8Array(8), 0, 8); } catch (e) { console.log(e.code); }
    process.kill(process.pid, 'SIGBUS');`;

  it.skipIf(!addon)("after a guarded fault, a SIGBUS that is not a guarded copy's still kills the process", () => {
    const r = child(`${faultThen(path.join(dir, 'kill.bin'))}; setTimeout(() => console.log('survived'), 500);`);
    expect({ signal: r.signal, stdout: r.stdout }).toEqual({ signal: 'SIGBUS', stdout: 'ERR_SHARD_MAPPING_FAULT\n' });
  });

  it.skipIf(!addon)('a SIGBUS handler installed before the addon still gets the signals that are not ours', () => {
    const r = child(`process.on('SIGBUS', () => { console.log('handled'); process.exit(0); }); ${faultThen(path.join(dir, 'chain.bin'))}; setTimeout(() => {}, 5000);`);
    expect({ status: r.status, signal: r.signal, stdout: r.stdout }).toEqual({ status: 0, signal: null, stdout: 'ERR_SHARD_MAPPING_FAULT\nhandled\n' });
  });
});
