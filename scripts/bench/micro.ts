// Per-record costs behind the read figures, timed with tinybench: checksum, copies, reads, conversion, allocation.
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { Bench as TinyBench } from 'tinybench';
import { crc32, DATA_OFFSET } from 'shard-format';
import { openMmapSource, loadMmapAddon } from 'shard-reader';
import { readSet } from './read-warm.js';
import { fmt, type Bench } from './types.js';

export const microBench: Bench = async (ctx) => {
  const dir = await readSet(ctx);
  const file = path.join(dir, 'shard-00000.bin');
  const stride = 65600;
  const imageBytes = 65536;
  const records = 1000;
  const fd = openSync(file, 'r');
  const record = Buffer.alloc(stride);
  readSync(fd, record, 0, stride, DATA_OFFSET);
  const batch = new Uint8Array(32 * imageBytes);
  const floats = new Float32Array(imageBytes);
  const mapped = loadMmapAddon() ? openMmapSource(file) : undefined;
  let r = 0;
  const next = () => (r = (r * 7919 + 13) % records);

  const bench = new TinyBench({ time: ctx.quick ? 200 : 1000 });
  bench
    .add('CRC-32 of one record (zlib.crc32)', () => void crc32(record.subarray(0, stride - 8)))
    .add('pread one record into a reused buffer', () => void readSync(fd, batch, 0, imageBytes, DATA_OFFSET + next() * stride))
    .add('uint8 -> float32 of one 256x256 image', () => {
      for (let i = 0; i < imageBytes; i++) floats[i] = batch[i] * (1 / 255);
    })
    .add('fresh 2 MiB batch buffer, filled (no reuse)', () => void new Uint8Array(32 * imageBytes).fill(1))
    .add('reused 2 MiB batch buffer, filled', () => void batch.fill(1));
  if (mapped) bench.add('guarded copy of one record from the mmap', () => void mapped.read(DATA_OFFSET + next() * stride, imageBytes, batch));
  await bench.run();
  closeSync(fd);
  mapped?.close();

  const rows: (string | number)[][] = [];
  const figures: Record<string, number> = {};
  for (const task of bench.tasks) {
    const res = task.result as { latency?: { mean: number }; throughput?: { mean: number } } | undefined;
    const us = (res?.latency?.mean ?? NaN) * 1000;
    figures[task.name] = us;
    rows.push([task.name, us.toFixed(2), fmt.rate(1e6 / us)]);
  }
  return {
    name: 'micro',
    tables: [
      {
        title: 'Per-record costs (tinybench, mean latency): where the read time goes',
        command: `pnpm bench --only micro${ctx.quick ? ' --quick' : ''}`,
        columns: ['operation', 'µs', 'per second'],
        rows,
      },
    ],
    figures,
    targets: [],
  };
};
