// Ground truth for the decoder tests: pydicom/nibabel values via Debian's Python, and the golden summaries kept for runs without it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeMedical, type MedicalSlice } from '../../packages/shard-writer/src/decode/index.js';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(import.meta.dirname, '..', 'python', 'decode_truth.py');

export interface TruthFrame {
  rows: number;
  cols: number;
  spp: number;
  stored: Float64Array;
  modality: Float32Array;
}

export interface Summary {
  sha256: string;
  min: number;
  max: number;
  mean: number;
}

export interface Golden {
  frames: number;
  rows: number;
  cols: number;
  spp: number;
  stored: Summary;
  modality: Summary;
}

/** Why the Python comparison cannot run here, or undefined when Debian's modules are importable. */
export function pythonMissing(modules: string[]): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} not found`;
  if (probe.status !== 0) return `${PYTHON} lacks ${modules.join('/')}: ${probe.stderr.trim().split('\n').pop()}`;
  return undefined;
}

const f64 = (b64: string) => {
  const bytes = Buffer.from(b64, 'base64');
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
};
const f32 = (b64: string) => {
  const bytes = Buffer.from(b64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
};

/** The independent decoder's frames for each file (or its error text), in one Python run. */
export function pythonTruth(kind: 'dicom' | 'nifti', files: string[]): Map<string, TruthFrame[] | string> {
  const run = spawnSync(PYTHON, [SCRIPT, kind, ...files], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (run.status !== 0) throw new Error(`decode_truth.py failed: ${run.stderr}`);
  const parsed = JSON.parse(run.stdout) as Record<string, { error?: string; frames?: { rows: number; cols: number; spp: number; stored: string; modality: string }[] }>;
  return new Map<string, TruthFrame[] | string>(
    files.map((file): [string, TruthFrame[] | string] => {
      const entry = parsed[file];
      if (entry.error || !entry.frames) return [file, entry.error ?? 'no frames'];
      return [file, entry.frames.map((f) => ({ rows: f.rows, cols: f.cols, spp: f.spp, stored: f64(f.stored), modality: f32(f.modality) }))];
    }),
  );
}

export async function decodeAll(file: string): Promise<MedicalSlice[]> {
  const out: MedicalSlice[] = [];
  for await (const slice of decodeMedical(file)) out.push(slice);
  return out;
}

/** The same summary the Python script's --golden mode writes: values of all frames, in order. */
export function summarise(slices: MedicalSlice[], which: 'stored' | 'modality'): Summary {
  const hash = createHash('sha256');
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let count = 0;
  for (const s of slices) {
    const values = which === 'stored' ? Float64Array.from(s.stored) : s.modality;
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    for (const v of values) {
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    count += values.length;
  }
  return { sha256: hash.digest('hex'), min, max, mean: sum / count };
}

export function readGolden(dir: string): Record<string, Golden> {
  return JSON.parse(readFileSync(path.join(dir, 'golden.json'), 'utf8'));
}

/** Largest |a - b| over two equally long arrays (Infinity when the lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
