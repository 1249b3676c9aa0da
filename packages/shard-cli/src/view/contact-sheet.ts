// Contact sheet: chosen samples as tiles on one PNG, each with its key and positive labels written under it.
import sharp, { type OverlayOptions } from 'sharp';
import type { Dataset } from 'shard-reader';
import { positiveLabels } from './catalog.js';
import { pixelValues, type PixelValues } from './dtype.js';
import { escapeXml, MONO_ADVANCE, shorten } from './svg.js';
import { renderTile, scaleTile, tilePng, tileSize } from './tile.js';
import { defaultWindow, type DisplayWindow } from './window.js';

export interface SheetOptions {
  /** Larger side of each channel's tile, in pixels. */
  tile: number;
  /** null: the dtype's default (its range, or min..max of the samples on the sheet). */
  window: DisplayWindow | null;
  /** Written in the header line. */
  title: string;
}

export interface Sheet {
  png: Buffer;
  width: number;
  height: number;
  window: DisplayWindow;
  columns: number;
}

const FONT = 12;
const LINE = 15;
const PAD = 8;
const HEADER = 26;
const CAPTION = 2 * LINE + 6;

export async function contactSheet(ds: Dataset, indices: readonly number[], opts: SheetOptions): Promise<Sheet> {
  if (indices.length === 0) throw new RangeError('no samples to draw');
  const values: PixelValues[] = indices.map((i) => pixelValues(imageBytes(ds, i), ds.dtype));
  const win = opts.window ?? defaultWindow(ds.dtype, values);
  const size = tileSize(ds.shape, opts.tile);
  const cellW = Math.max(size.width, 120);
  const cellH = size.height + CAPTION;
  const columns = Math.max(1, Math.min(indices.length, Math.round(Math.sqrt((indices.length * cellH) / cellW)) || 1, Math.floor(4096 / (cellW + PAD)) || 1));
  const rows = Math.ceil(indices.length / columns);
  const width = PAD + columns * (cellW + PAD);
  const height = HEADER + rows * (cellH + PAD) + PAD;
  const chars = Math.floor(cellW / (FONT * MONO_ADVANCE));

  const composites: OverlayOptions[] = [];
  const text: string[] = [`<text x="${PAD}" y="18" class="h">${escapeXml(shorten(`${opts.title} · ${ds.dtype} ${ds.shape.join('x')} · window ${win.label}`, Math.floor((width - 2 * PAD) / (FONT * MONO_ADVANCE))))}</text>`];
  for (let n = 0; n < indices.length; n++) {
    const i = indices[n];
    const x = PAD + (n % columns) * (cellW + PAD);
    const y = HEADER + Math.floor(n / columns) * (cellH + PAD);
    const tile = await scaleTile(renderTile(values[n], ds.shape, win), size.width, size.height);
    composites.push({ input: await tilePng(tile), left: x + Math.floor((cellW - size.width) / 2), top: y });
    const positives = positiveLabels(ds.labels, ds.labelNames, i);
    const ty = y + size.height + LINE;
    text.push(`<text x="${x}" y="${ty}">${escapeXml(shorten(ds.keys[i], chars))}</text>`);
    text.push(positives.length
      ? `<text x="${x}" y="${ty + LINE}" class="p">${escapeXml(shorten(positives.join(' '), chars))}</text>`
      : `<text x="${x}" y="${ty + LINE}" class="n">no positive label</text>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><style>text{font-family:'DejaVu Sans Mono',monospace;font-size:${FONT}px;fill:#e6e6e6}.h{fill:#9ecbff}.p{fill:#ffb347}.n{fill:#808080}</style>${text.join('')}</svg>`;
  composites.push({ input: Buffer.from(svg), left: 0, top: 0 });
  const png = await sharp({ create: { width, height, channels: 3, background: '#161616' } }).composite(composites).png({ compressionLevel: 9 }).toBuffer();
  return { png, width, height, window: win, columns };
}

/** The image bytes of sample `i`, CRC-checked by the reader. */
function imageBytes(ds: Dataset, i: number): Uint8Array {
  const img = ds.image(i);
  return new Uint8Array(img.buffer, img.byteOffset, img.byteLength);
}
