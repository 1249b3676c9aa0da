// `shard inspect <dir> --grid <out.png>`: the options and the run of a contact sheet, called from inspect.ts.
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { Dataset } from 'shard-reader';
import { ExitError, UsageError } from '../cli-error.js';
import { intInRange, parseNonNegativeInt, parsePositiveInt } from '../format-units.js';
import { Catalog } from '../view/catalog.js';
import { contactSheet } from '../view/contact-sheet.js';
import { OutputRefused, writeOwnPng } from '../view/own-png.js';
import { selectSamples, SelectionError } from '../view/select.js';
import { resolveUserPath } from '../user-path.js';
import { parseWindowSpec, WINDOW_PRESETS, type DisplayWindow } from '../view/window.js';

export interface GridFlags {
  grid?: string;
  count?: number;
  seed?: number;
  keys?: string;
  label?: string;
  patient?: string;
  window?: DisplayWindow;
  tile?: number;
  json?: boolean;
}

const DEFAULT_COUNT = 16;
const DEFAULT_TILE = 192;

export function addGridOptions(cmd: Command): Command {
  return cmd
    .option('--grid <out.png>', 'write a contact sheet PNG of some samples (key and positive labels under each)')
    .option('--count <n>', `with --grid: samples on the sheet (default ${DEFAULT_COUNT})`, parsePositiveInt)
    .option('--seed <n>', 'with --grid: seed of the random choice (default 0)', parseNonNegativeInt)
    .option('--keys <k1,k2,...>', 'with --grid: exactly these samples')
    .option('--label <name>', 'with --grid: only samples positive for this label')
    .option('--patient <id>', 'with --grid: only this patient (first folder of the key); evenly spaced slices unless --seed')
    .option('--window <c,w|preset>', `with --grid: display window on stored values, or ${Object.keys(WINDOW_PRESETS).join(', ')} (default: the dtype's range, uint16: min..max of the pixels shown)`, (t: string) => {
      try {
        return parseWindowSpec(t, '--window');
      } catch (err) {
        // Commander names the option and the value itself: keep only what is expected.
        throw new InvalidArgumentError((err as Error).message.replace(/^--window /, '').replace(/ \(got .*\)$/, ''));
      }
    })
    .option('--tile <px>', `with --grid: larger side of each tile (default ${DEFAULT_TILE})`, intInRange(1, 1024));
}

/** Runs the sheet when --grid is given (and returns true); refuses sheet options without it. */
export async function runGrid(ds: Dataset, dir: string, flags: GridFlags): Promise<boolean> {
  const sheetOnly = (['count', 'seed', 'keys', 'label', 'patient', 'window', 'tile'] as const).filter((k) => flags[k] !== undefined);
  if (!flags.grid) {
    if (sheetOnly.length) throw new UsageError(`--${sheetOnly[0]} needs --grid <out.png>`);
    return false;
  }
  if (flags.keys !== undefined) {
    const clash = (['count', 'seed', 'label', 'patient'] as const).find((k) => flags[k] !== undefined);
    if (clash) throw new UsageError(`--keys names the samples itself; drop --${clash}`);
  }
  const keys = flags.keys?.split(',').map((k) => k.trim()).filter(Boolean);
  if (keys && keys.length === 0) throw new UsageError('--keys names no sample');
  let indices: number[];
  try {
    indices = selectSamples(ds, new Catalog(ds.keys), { keys, label: flags.label, patient: flags.patient, count: flags.count ?? DEFAULT_COUNT, seed: flags.seed });
  } catch (err) {
    if (err instanceof SelectionError) throw new ExitError(`${dir}: ${err.message}`, 1);
    throw err;
  }
  if (indices.length > 1024) throw new UsageError(`--grid draws at most 1024 samples (asked for ${indices.length})`);
  const sheet = await contactSheet(ds, indices, { tile: flags.tile ?? DEFAULT_TILE, window: flags.window ?? null, title: path.basename(path.resolve(dir)) });
  try {
    writeOwnPng(resolveUserPath(flags.grid), sheet.png, dir);
  } catch (err) {
    if (err instanceof OutputRefused) throw new ExitError(err.message, 1);
    throw err;
  }
  const summary = { grid: flags.grid, samples: indices.length, keys: indices.map((i) => ds.keys[i]), window: sheet.window, width: sheet.width, height: sheet.height };
  if (flags.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else process.stdout.write(`wrote ${flags.grid}: ${indices.length} samples, ${sheet.width} x ${sheet.height} px, window ${sheet.window.label}\n`);
  return true;
}
