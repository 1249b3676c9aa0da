// Benchmark data: synthetic slice trees and their shards, generated once and cached in .bench-data/.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildShards, type BuildOptions } from 'shard-writer';
import { makeSyntheticSet } from '../make-synthetic.js';
import type { BenchContext } from './types.js';

export interface SourceSpec {
  patients: number;
  slices: number;
  size: number;
  bits: 8 | 16;
}

/** A synthetic CT tree (16-bit by default, like real scans); reused when an earlier run made it. */
export async function ensureSource(ctx: BenchContext, spec: SourceSpec): Promise<string> {
  const dir = path.join(ctx.dataDir, `src-${spec.patients}x${spec.slices}-${spec.size}px-${spec.bits}bit`);
  const done = path.join(dir, '.complete');
  if (existsSync(done)) return dir;
  rmSync(dir, { recursive: true, force: true });
  ctx.log(`generating ${spec.patients * spec.slices} synthetic slices (${spec.size}px, ${spec.bits}-bit) in ${dir} ...`);
  await makeSyntheticSet({ out: dir, patients: spec.patients, slices: spec.slices, size: spec.size, bits: spec.bits, seed: 2024 });
  writeFileSync(done, '');
  return dir;
}

/** Shards built from `source` with these options; reused when an earlier run built them. */
export async function ensureShards(ctx: BenchContext, source: string, name: string, opts: Omit<BuildOptions, 'input' | 'out'> = {}): Promise<string> {
  const out = path.join(ctx.dataDir, `shards-${name}`);
  if (existsSync(path.join(out, 'manifest.json'))) return out;
  mkdirSync(ctx.dataDir, { recursive: true });
  ctx.log(`building shards ${out} ...`);
  await buildShards({ input: source, out, ...opts });
  return out;
}

/** The reference set the read benchmarks use: uint8 256x256, as in the targets. */
export function readSetSpec(ctx: BenchContext): SourceSpec {
  return ctx.quick ? { patients: 10, slices: 150, size: 256, bits: 16 } : { patients: 100, slices: 200, size: 256, bits: 16 };
}
