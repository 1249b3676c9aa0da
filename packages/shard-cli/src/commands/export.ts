// `shard export <dir> --out <folder>`: writes samples back out as .npy or .png with a labels.csv.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { encode } from 'fast-png';
import { ExitError } from '../cli-error.js';
import { parseNonNegativeInt } from '../format-units.js';
import { encodeNpy } from '../npy.js';
import { openForCli } from '../open-dataset.js';

interface ExportFlags {
  out: string;
  format: 'npy' | 'png';
  keys?: string;
  limit?: number;
}

export function exportCommand(): Command {
  return new Command('export')
    .description('write samples as <out>/<key>.npy or .png plus <out>/labels.csv (header: key,<label names>)')
    .argument('<dir>', 'dataset folder')
    .requiredOption('-o, --out <folder>', 'folder to write into')
    .addOption(new Option('--format <fmt>', 'file format').choices(['npy', 'png']).default('npy'))
    .option('--keys <k1,k2,...>', 'only these sample keys (default: all)')
    .option('--limit <n>', 'at most this many samples (in manifest order)', parseNonNegativeInt('--limit'))
    .action(async (dir: string, flags: ExportFlags) => {
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
        const [h, w, c] = ds.shape;
        const L = ds.labelNames.length;
        const rows = [['key', ...ds.labelNames].join(',')];
        for (const i of indices) {
          const key = ds.keys[i];
          const file = path.join(flags.out, `${key}.${flags.format}`);
          // Keys are validated when the index is read; this keeps a file outside --out impossible regardless.
          if (!path.resolve(file).startsWith(root + path.sep)) throw new ExitError(`${dir}: key ${JSON.stringify(key)} would be written outside ${flags.out}`, 1);
          mkdirSync(path.dirname(file), { recursive: true });
          const img = ds.image(i);
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
