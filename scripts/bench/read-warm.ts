// Benchmark 2: reader throughput from a warm page cache, every mode/backend/CRC setting, against raw pread.
import path from 'node:path';
import { defaultReaderWorkers, measureThroughput, openDataset, rawPreadRate, type Backend, type ShuffleMode } from 'shard-reader';
import { ensureShards, ensureSource, readSetSpec } from './data.js';
import { sequentialRead } from './page-cache.js';
import { fmt, type Bench } from './types.js';

export async function readSet(ctx: Parameters<Bench>[0]): Promise<string> {
  return ensureShards(ctx, await ensureSource(ctx, readSetSpec(ctx)), ctx.quick ? 'read-quick' : 'read-full', { size: 256 });
}

export const readWarmBench: Bench = async (ctx) => {
  const dir = await readSet(ctx);
  const probe = await openDataset(dir, { workers: 0 });
  const files = probe.manifest.shards.map((s) => path.join(dir, s.file));
  sequentialRead(files); // warm
  const batchSize = 32;
  const limit = rawPreadRate(probe, probe.batches({ batchSize, seed: 1, shuffle: 'global' }).plan.order, ctx.seconds, batchSize);
  await probe.close();

  const rows: (string | number)[][] = [['raw pread, same records, same global order, one buffer: the limit', fmt.rate(limit), fmt.gbps(limit * 65536), '1.00x']];
  const figures: Record<string, number> = { rawPread: limit };
  for (const shuffle of ['global', 'block', 'none'] as ShuffleMode[]) {
    for (const backend of ['mmap', 'pread'] as Backend[]) {
      for (const verify of [true, false]) {
        const ds = await openDataset(dir, { backend, verify });
        const t = await measureThroughput(ds, { batchSize, seed: 1, shuffle, seconds: ctx.seconds });
        await ds.close();
        const name = `${shuffle} ${backend} crc-${verify ? 'on' : 'off'}`;
        figures[name] = t.samplesPerSec;
        rows.push([`reader: ${shuffle}, ${backend}, CRC ${verify ? 'on' : 'off'}`, fmt.rate(t.samplesPerSec), fmt.gbps(t.bytesPerSec), fmt.ratio(t.samplesPerSec / limit)]);
        ctx.log(`${name}: ${fmt.rate(t.samplesPerSec)} samples/s`);
      }
    }
  }
  const best = (verify: boolean) => Math.max(figures[`global mmap crc-${verify ? 'on' : 'off'}`], figures[`global pread crc-${verify ? 'on' : 'off'}`]);
  return {
    name: 'read-warm',
    tables: [
      {
        title: `Read, warm page cache: ${probe.size} samples of 256x256 uint8, batch ${batchSize}, typed arrays out (release() after each batch), ${defaultReaderWorkers()} worker threads (the default)`,
        command: `pnpm bench --only read-warm${ctx.quick ? ' --quick' : ''}`,
        columns: ['pipeline', 'samples/s', 'GB/s', 'vs limit'],
        rows,
        notes: [
          'CRC on = every record checked against its CRC-32 and key as it is read (the default).',
          `The reader assembles batches in its default ${defaultReaderWorkers()} worker threads; the raw pread limit is one thread doing nothing but reads into one reused buffer, so the reader can pass it.`,
        ],
      },
    ],
    figures,
    targets: [
      { target: 'warm global read >= 70% of raw pread (CRC off)', measured: fmt.pct(best(false) / limit), met: best(false) / limit >= 0.7 },
      { target: 'warm global read >= 70% of raw pread (CRC on, the default)', measured: fmt.pct(best(true) / limit), met: best(true) / limit >= 0.7 },
    ],
  };
};
