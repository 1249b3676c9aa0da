// `shard export <dir> --out <folder>`: writes samples back out as .npy or .png with a labels.csv.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { encode } from 'fast-png';
import { contextTable, stackSlices } from 'shard-reader';
import { ExitError, UsageError } from '../cli-error.js';
import { parseNonNegativeInt } from '../format-units.js';
import { encodeNpy } from '../npy.js';
import { openForCli } from '../open-dataset.js';

interface ExportFlags {
  out: string;
  format: 'npy' | 'png';
  keys?: string;
  limit?: number;
  context: number;
}

export function exportCommand(): Command {
  return new Command('export')
    .description('write samples as <out>/<key>.npy or .png plus <out>/labels.csv (header: key,<label names>)')
    .argument('<dir>', 'dataset folder')
    .requiredOption('-o, --out <folder>', 'folder to write into')
    .addOption(new Option('--format <fmt>', 'file format').choices(['npy', 'png']).default('npy'))
    .option('--keys <k1,k2,...>', 'only these sample keys (default: all)')
    .option('--limit <n>', 'at most this many samples (in manifest order)', parseNonNegativeInt('--limit'))
    .option('--context <k>', 'write each sample with its k series neighbours on each side as channels, as the reader\'s context: k does', parseNonNegativeInt('--context'), 0)
    .action(async (dir: string, flags: ExportFlags) => {
      if (flags.context > 64) throw new UsageError(`--context must be at most 64 (got ${flags.context})`);
      const ds = await openForCli(dir);
      try {
        const byKey = new Map(ds.keys.map((k, i) => [k, i]));
        let indices = flags.keys ? flags.keys.split(',').map((k) => k.trim()).filter(Boolean).map((k) => {
          const i = byKey.get(k);
          if (i === undefined) throw new ExitError(`${dir}: no sample with key ${JSON.stringify(k)}`, 1);
          return i;
        }) : ds.keys.map((_, i) => i);
        if (flags.limit !== undefined) indices = indices.slice(0, flags.limit);
        const root = path.resolve(flags.out);
        const [h, w, stored] = ds.shape;
        const width = 2 * flags.context + 1;
        const c = stored * width;
        if (flags.format === 'png' && c > 4) throw new UsageError(`--format png holds at most 4 channels; --context ${flags.context} makes ${c} (use --format npy)`);
        const table = flags.context > 0 ? contextTable(ds.keys, flags.context) : undefined;
        const sampleImage = (i: number) => {
          if (!table) return ds.image(i);
          const slices = [...table.of(i)].map((j) => ds.image(j));
          const out = ds.dtype === 'uint16' ? new Uint16Array(slices[0].length * width) : new Uint8Array(slices[0].length * width);
          stackSlices(slices, out, stored);
          return out;
        };
        const L = ds.labelNames.length;
        const rows = [['key', ...ds.labelNames].join(',')];
        for (const i of indices) {
          const key = ds.keys[i];
          const file = path.join(flags.out, `${key}.${flags.format}`);
          // Keys are validated when the index is read; this keeps a file outside --out impossible regardless.
          if (!path.resolve(file).startsWith(root + path.sep)) throw new ExitError(`${dir}: key ${JSON.stringify(key)} would be written outside ${flags.out}`, 1);
          mkdirSync(path.dirname(file), { recursive: true });
          const img = sampleImage(i);
          writeFileSync(file, flags.format === 'npy' ? encodeNpy(img, c === 1 ? [h, w] : [h, w, c]) : encode({ width: w, height: h, channels: c, depth: ds.dtype === 'uint16' ? 16 : 8, data: img }));
          rows.push([csvField(key), ...Array.from(ds.labels.subarray(i * L, (i + 1) * L))].join(','));
        }
        mkdirSync(flags.out, { recursive: true });
        writeFileSync(path.join(flags.out, 'labels.csv'), rows.join('\n') + '\n');
        process.stderr.write(`exported ${indices.length} samples to ${flags.out} (${flags.format})\n`);
      } finally {
        await ds.close();
      }
    });
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
