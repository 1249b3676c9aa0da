// `shard export <dir> --out <folder>`: writes samples back out as .npy or .png with a labels.csv.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { encode } from 'fast-png';
import { contextTable, stackSlices, type Dataset } from 'shard-reader';
import { ExitError, UsageError } from '../cli-error.js';
import { checkExportTargets, type ExportTarget } from '../export-guard.js';
import { count, parseNonNegativeInt } from '../format-units.js';
import { encodeNpy } from '../npy.js';
import { openForCli } from '../open-dataset.js';
import { resolveUserPath } from '../user-path.js';

interface ExportFlags {
  out: string;
  format: 'npy' | 'png';
  keys?: string;
  limit?: number;
  overwrite?: boolean;
  context: number;
}

export function exportCommand(): Command {
  return new Command('export')
    .description('write samples as <out>/<key>.npy or .png plus <out>/labels.csv (header: key,<label names>); never replaces a file without --overwrite')
    .argument('<dir>', 'dataset folder')
    .requiredOption('-o, --out <folder>', 'folder to write into')
    .addOption(new Option('--format <fmt>', 'file format').choices(['npy', 'png']).default('npy'))
    .option('--keys <k1,k2,...>', 'only these sample keys (default: all)')
    .option('--limit <n>', 'at most this many samples (in manifest order)', parseNonNegativeInt)
    .option('--overwrite', 'replace existing files, and allow writing into the source tree or the dataset folder')
    .option('--context <k>', "write each sample with its k series neighbours on each side as channels, as the reader's context: k does", parseNonNegativeInt, 0)
    .action(async (dirArg: string, flags: ExportFlags) => {
      const dir = resolveUserPath(dirArg);
      const out = resolveUserPath(flags.out);
      if (flags.context > 64) throw new UsageError(`--context must be at most 64 (got ${flags.context})`);
      const ds = await openForCli(dir);
      try {
        const targets = exportTargets(ds, dir, out, flags);
        const labelsFile = path.join(out, 'labels.csv');
        // Everything is checked before the first byte is written: a refused export leaves no half.
        checkExportTargets({ out, datasetDir: dir, keys: ds.keys, files: [...targets.map((t) => t.file), labelsFile], overwrite: flags.overwrite === true });
        const [h, w, stored] = ds.shape;
        const width = 2 * flags.context + 1;
        const c = stored * width;
        if (flags.format === 'png' && c > 4) throw new UsageError(`--format png holds at most 4 channels; --context ${flags.context} makes ${c} (use --format npy)`);
        const table = flags.context > 0 ? contextTable(ds.keys, flags.context) : undefined;
        const sampleImage = (i: number) => {
          if (!table) return ds.image(i);
          const slices = [...table.of(i)].map((j) => ds.image(j));
          const stack = ds.dtype === 'uint16' ? new Uint16Array(slices[0].length * width) : new Uint8Array(slices[0].length * width);
          stackSlices(slices, stack, stored);
          return stack;
        };
        const L = ds.labelNames.length;
        const rows = [['key', ...ds.labelNames].join(',')];
        mkdirSync(out, { recursive: true });
        for (const t of targets) {
          mkdirSync(path.dirname(t.file), { recursive: true });
          const img = sampleImage(t.index);
          const bytes = flags.format === 'npy' ? encodeNpy(img, c === 1 ? [h, w] : [h, w, c]) : encode({ width: w, height: h, channels: c, depth: ds.dtype === 'uint16' ? 16 : 8, data: img });
          writeNew(t.file, bytes, flags.overwrite === true);
          rows.push([csvField(t.key), ...Array.from(ds.labels.subarray(t.index * L, (t.index + 1) * L))].join(','));
        }
        writeNew(labelsFile, rows.join('\n') + '\n', flags.overwrite === true);
        process.stderr.write(`exported ${count(targets.length, 'sample')} to ${out} (${flags.format})\n`);
      } finally {
        await ds.close();
      }
    });
}

/** The samples to write and where; refuses unknown --keys, and keys the dataset holds twice (they would share a file). */
function exportTargets(ds: Dataset, dir: string, out: string, flags: ExportFlags): ExportTarget[] {
  const byKey = new Map<string, number>();
  ds.keys.forEach((k, i) => {
    if (!byKey.has(k)) byKey.set(k, i);
  });
  let indices = flags.keys
    ? [...new Set(flags.keys.split(',').map((k) => k.trim()).filter(Boolean))].map((k) => {
        const i = byKey.get(k);
        // A bad --keys value, like a --start-batch past the epoch: a usage error, not damage.
        if (i === undefined) throw new UsageError(`${dir}: no sample with key ${JSON.stringify(k)} (from --keys)`);
        return i;
      })
    : ds.keys.map((_, i) => i);
  if (flags.limit !== undefined) indices = indices.slice(0, flags.limit);
  const files = new Map<string, number>();
  return indices.map((index) => {
    const key = ds.keys[index];
    const file = path.join(out, `${key}.${flags.format}`);
    // Keys are validated when the index is read; this keeps a file outside --out impossible regardless.
    if (!file.startsWith(out + path.sep)) throw new ExitError(`${dir}: key ${JSON.stringify(key)} would be written outside ${out}`, 1);
    const other = files.get(file);
    if (other !== undefined) throw new ExitError(`${dir}: samples ${other} and ${index} both have key ${JSON.stringify(key)} (run shard verify); nothing exported`, 1);
    files.set(file, index);
    return { index, key, file };
  });
}

/** Creates `file`; with `overwrite` an existing entry (a symlink too) is removed first, so nothing outside is written through it. */
function writeNew(file: string, data: string | Uint8Array, overwrite: boolean): void {
  if (overwrite) rmSync(file, { force: true });
  writeFileSync(file, data, { flag: 'wx' });
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
