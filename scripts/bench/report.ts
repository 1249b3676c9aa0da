// Writes docs/BENCHMARKS.md (a table per benchmark, targets, machine facts) and the read-throughput chart.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execSync } from 'node:child_process';
import type { BenchResult } from './types.js';

export interface StoredResult extends BenchResult {
  mode: 'quick' | 'full';
  date: string;
  machine: string;
  /** A section kept as written (results from before the store was committed); replaced when the benchmark reruns. */
  verbatim?: string;
  /** The `--only` name (the section heading may be longer). */
  key?: string;
}

const NOTES = path.join(import.meta.dirname, 'notes');

export function machineFacts(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const kernel = safe(() => execSync('uname -r').toString().trim());
  return `${os.availableParallelism()} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, Linux ${kernel}`;
}

function safe(fn: () => string): string {
  try {
    return fn();
  } catch {
    return '?';
  }
}

export function renderMarkdown(results: StoredResult[], chartFile: string): string {
  const out: string[] = [
    '# Benchmarks',
    '',
    'Produced by `pnpm bench` (`scripts/bench.ts`, one module per benchmark in `scripts/bench/`); every',
    'comparison is measured in the same run on the same generated data and reported as a ratio, because',
    'these machines are shared and noisy. `pnpm bench --quick` is a two-minute sanity check on smaller data;',
    '`pnpm bench --only <name>` reruns one section. Data is generated once into `.bench-data/` and reused.',
    '',
    '## Targets',
    '',
    '| target | measured | met |',
    '|---|---|---|',
    ...results.flatMap((r) => r.targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`)),
    '',
    `![read throughput](${chartFile})`,
    '',
  ];
  for (const r of results) {
    out.push(`## ${r.name}`, '');
    if (r.verbatim !== undefined) {
      out.push(r.verbatim, '');
      continue;
    }
    out.push(`Measured ${r.date} (${r.mode} run) on ${r.machine}.`, '');
    for (const t of r.tables) {
      out.push(`### ${t.title}`, '', `\`${t.command}\``, '', `| ${t.columns.join(' | ')} |`, `|${t.columns.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
      for (const row of t.rows) out.push(`| ${row.join(' | ')} |`);
      out.push('');
      for (const n of t.notes ?? []) out.push(`- ${n}`);
      if (t.notes?.length) out.push('');
    }
    // Hand-written analysis of this benchmark (a profile, why a target is missed), kept across reruns.
    for (const key of new Set([r.key, r.name])) {
      const notes = key && path.join(NOTES, `${key}.md`);
      if (notes && existsSync(notes)) out.push(readFileSync(notes, 'utf8').trimEnd(), '');
    }
  }
  // Hand-written analysis (profile, how to install the peers) kept across regenerations.
  out.push(readFileSync(path.join(import.meta.dirname, 'notes.md'), 'utf8'));
  return out.join('\n');
}

/** Horizontal bars of GB/s: warm reads against raw pread, cold reads against a sequential read. */
export function renderChart(results: StoredResult[]): string | undefined {
  // A section kept verbatim has no figures: the chart it made stays as it is.
  const warm = results.find((r) => r.name === 'read-warm' && r.verbatim === undefined);
  const cold = results.find((r) => r.name === 'read-cold' && r.verbatim === undefined);
  if (!warm && !cold) return undefined;
  const bars: { label: string; value: number; limit: boolean }[] = [];
  if (warm) {
    for (const [k, v] of Object.entries(warm.figures)) {
      if (typeof v !== 'number') continue;
      bars.push({ label: k === 'rawPread' ? 'warm: raw pread (limit)' : `warm: ${k}`, value: (v * 65536) / 1e9, limit: k === 'rawPread' });
    }
  }
  if (cold) {
    for (const [k, v] of Object.entries(cold.figures)) {
      if (typeof v !== 'number') continue;
      bars.push({ label: k === 'sequential' ? 'cold: sequential read (limit)' : `cold: ${k} shuffle`, value: v / 1e9, limit: k === 'sequential' });
    }
  }
  const max = Math.max(...bars.map((b) => b.value), 0.001);
  const rowH = 22;
  const left = 240;
  const width = 760;
  const barW = width - left - 80;
  const height = 40 + bars.length * rowH;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const rows = bars.map((b, i) => {
    const y = 30 + i * rowH;
    const w = Math.max(1, (b.value / max) * barW);
    return [
      `<text x="${left - 8}" y="${y + 14}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${left}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${b.limit ? '#888' : '#3a7bd5'}"/>`,
      `<text x="${left + w + 6}" y="${y + 14}">${b.value.toFixed(2)} GB/s</text>`,
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-weight="bold">Read throughput by mode (image bytes delivered), grey = the limit it is compared with</text>`,
    ...rows,
    '</svg>',
    '',
  ].join('\n');
}
