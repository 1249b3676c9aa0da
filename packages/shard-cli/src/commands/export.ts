// `shard export <dir> --out <folder>`: writes samples back out as .npy or .png with a labels.csv.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { encode } from 'fast-png';
import { pixelView, stackSlices, type Dataset, type Pixels } from 'shard-reader';
import { parseWindow, type CtWindow } from 'shard-writer';
import { ExitError, UsageError } from '../cli-error.js';
import { windowToUint8 } from '../display-window.js';
import { checkExportTargets, type ExportTarget } from '../export-guard.js';
import { count, parseNonNegativeInt } from '../format-units.js';
import { encodeNpy } from '../npy.js';
import { addRemoteFlags, datasetLocation, openForCli, type RemoteFlags } from '../open-dataset.js';
import { resolveUserPath } from '../user-path.js';

interface ExportFlags extends RemoteFlags {
  out: string;
  format: 'npy' | 'png';
  keys?: string;
  limit?: number;
  overwrite?: boolean;
  window?: CtWindow;
  context: number;
}

export function exportCommand(): Command {
  return addRemoteFlags(new Command('export')
    .description('write samples as <out>/<key>.npy or .png plus <out>/labels.csv (header: key,<label names>); never replaces a file without --overwrite')
    .argument('<dir>', 'dataset folder, s3://bucket/prefix or https://host/path/')
    .requiredOption('-o, --out <folder>', 'folder to write into')
    .addOption(new Option('--format <fmt>', 'file format').choices(['npy', 'png']).default('npy'))
    .option('--keys <k1,k2,...>', 'only these sample keys (default: all)')
    .option('--limit <n>', 'at most this many samples (in manifest order)', parseNonNegativeInt)
    .option('--overwrite', 'replace existing files, and allow writing into the source tree or the dataset folder')
    .option('--window <center,width>', "png only: display window on the stored values, giving 8-bit PNGs; int16/float32 (modality values, e.g. HU) without it: the dataset's value range to 0..255", windowArg)
    .option('--context <k>', "write each sample with its k series neighbours on each side as channels, as the reader's context: k does", parseNonNegativeInt, 0))
    .action(async (dirArg: string, flags: ExportFlags) => {
      const dir = datasetLocation(dirArg);
      const out = resolveUserPath(flags.out);
      if (flags.context > 64) throw new UsageError(`--context must be at most 64 (got ${flags.context})`);
      const ds = await openForCli(dir, {}, flags);
      try {
        if (flags.window && flags.format !== 'png') throw new UsageError('--window applies to --format png only (npy keeps the stored values)', { helpFor: 'shard export' });
        const modality = ds.dtype === 'int16' || ds.dtype === 'float32';
        const window = flags.format === 'png' && modality && !flags.window ? rangeWindow(ds, dir) : flags.window;
        const targets = exportTargets(ds, dir, out, flags);
        const labelsFile = path.join(out, 'labels.csv');
        // Everything is checked before the first byte is written: a refused export leaves no half.
        checkExportTargets({ out, datasetDir: ds.isRemote ? undefined : dir, keys: ds.keys, files: [...targets.map((t) => t.file), labelsFile], overwrite: flags.overwrite === true });
        const [h, w, stored] = ds.shape;
        const width = 2 * flags.context + 1;
        const c = stored * width;
        if (flags.format === 'png' && c > 4) throw new UsageError(`--format png holds at most 4 channels; --context ${flags.context} makes ${c} (use --format npy)`);
        const table = flags.context > 0 ? ds.contextTable(flags.context) : undefined;
        const sampleImage = (i: number, read: Map<number, Pixels>) => {
          if (!table) return read.get(i)!;
          const slices = [...table.of(i)].map((j) => read.get(j)!);
          const stack = pixelView(ds.dtype, new ArrayBuffer(slices[0].byteLength * width));
          stackSlices(slices, stack, stored);
          return stack;
        };
        const L = ds.labelNames.length;
        const rows = [['key', ...ds.labelNames].join(',')];
        mkdirSync(out, { recursive: true });
        // A chunk at a time: a remote dataset fetches each chunk's records in a few range requests.
        const CHUNK = 64;
        let read = new Map<number, Pixels>();
        for (const [n, t] of targets.entries()) {
          if (n % CHUNK === 0) {
            const part = targets.slice(n, n + CHUNK);
            const need = [...new Set(part.flatMap((x) => (table ? [...table.of(x.index)] : [x.index])))];
            const images = await ds.images(need);
            read = new Map(need.map((index, k) => [index, images[k]]));
          }
          mkdirSync(path.dirname(t.file), { recursive: true });
          const img = sampleImage(t.index, read);
          const bytes = flags.format === 'npy' ? encodeNpy(img, c === 1 ? [h, w] : [h, w, c]) : pngBytes(img, h, w, c, window);
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

/**
 * PNG export of modality values without --window: the value range the build saw (manifest `values`)
 * spread over 0..255, said on stderr; refused when the manifest records no range or a single value.
 */
function rangeWindow(ds: Dataset, dir: string): CtWindow {
  const v = ds.manifest.values;
  if (!v || !(v.min < v.max)) {
    throw new UsageError(`${dir}: holds ${ds.dtype} modality values, which PNG cannot hold; pass --window <center>,<width> (e.g. --window 40,80 for brain CT in HU) or use --format npy (the manifest records ${v ? `one value only, ${v.min}` : 'no value range'} to map instead)`, { helpFor: 'shard export' });
  }
  process.stderr.write(`export: no --window given: the dataset's value range ${v.min}..${v.max} is mapped to 0..255 (pass --window <center>,<width> for a CT window)\n`);
  // The VOI window whose lowest and highest values are exactly min and max.
  return { center: (v.min + v.max) / 2 + 0.5, width: v.max - v.min + 1 };
}

/** PNG of one sample: stored uint8/uint16 as is, or 8 bits through the display window. */
function pngBytes(img: Pixels, h: number, w: number, c: number, window: CtWindow | undefined): Uint8Array {
  if (window) {
    const shown = new Uint8Array(img.length);
    windowToUint8(img, shown, window);
    return encode({ width: w, height: h, channels: c, depth: 8, data: shown });
  }
  if (img instanceof Int16Array || img instanceof Float32Array) throw new Error('internal: modality values need a window'); // refused above
  return encode({ width: w, height: h, channels: c, depth: img instanceof Uint16Array ? 16 : 8, data: img });
}

function windowArg(text: string): CtWindow {
  try {
    return parseWindow(text);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
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
