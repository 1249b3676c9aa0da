// Writes small slice trees for tests: PNGs of any depth/channels via fast-png, and labels.csv files.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encode } from 'fast-png';

export function tempDir(prefix = 'shards-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface PngSpec {
  width: number;
  height: number;
  depth: 8 | 16;
  channels: 1 | 3 | 4;
  /** Pixel value at (x, y, channel). */
  value: (x: number, y: number, c: number) => number;
}

export function pngPixels(spec: PngSpec): Uint8Array | Uint16Array {
  const data = spec.depth === 16 ? new Uint16Array(spec.width * spec.height * spec.channels) : new Uint8Array(spec.width * spec.height * spec.channels);
  for (let y = 0; y < spec.height; y++)
    for (let x = 0; x < spec.width; x++)
      for (let c = 0; c < spec.channels; c++) data[(y * spec.width + x) * spec.channels + c] = spec.value(x, y, c);
  return data;
}

export function writePng(file: string, spec: PngSpec): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, encode({ width: spec.width, height: spec.height, depth: spec.depth, channels: spec.channels, data: pngPixels(spec) }));
}

export function writeLabels(dir: string, header: string[], rows: (string | number)[][]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'labels.csv'), [header, ...rows].map((r) => r.join(',')).join('\n') + '\n');
}

export const LABELS = ['slice', 'atelectasis', 'effusion', 'nodule', 'pneumothorax', 'emphysema'];
