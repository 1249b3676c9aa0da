// Import rules the source must keep: no file cycles in any package, and shard-reader's layers import only downward.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const PACKAGES = path.join(import.meta.dirname, '..', 'packages');
const SOURCE = /\.(ts|mts|mjs|js)$/;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : SOURCE.test(e.name) && !e.name.endsWith('.d.ts') ? [path.join(dir, e.name)] : []));
}

/** Every module specifier a file names (static, type-only, re-export and literal dynamic imports). */
function specifiers(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/** The source file a relative specifier lands on (`./x.js` is written for `./x.ts`), or undefined for a package. */
function resolve(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const target = path.resolve(path.dirname(from), spec);
  const candidates = [target, target.replace(/\.js$/, '.ts'), target.replace(/\.mjs$/, '.mts'), `${target}.ts`, path.join(target, 'index.ts')];
  const found = candidates.find((c) => existsSync(c) && SOURCE.test(c));
  if (!found) throw new Error(`${path.relative(PACKAGES, from)}: import '${spec}' names no source file`);
  return found;
}

/** file -> the files of the same package it imports. */
function importGraph(srcDir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of walk(srcDir)) graph.set(file, specifiers(file).flatMap((s) => resolve(file, s) ?? []));
  return graph;
}

/** Each cycle once, as the chain of files that closes it (depth-first search over the graph). */
function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

/**
 * shard-reader's layers, lowest first (augment, sampler and context are siblings above shuffle). A file may import files of its own folder and of lower layers only.
 * Files directly in src/ are the package's entries and tools on top (index, tfjs, verify, quality,
 * throughput), except worker-entry.ts: the thread-starting plumbing that batch/ and verify/ both use.
 */
const READER_LAYERS: Record<string, number> = {
  'worker-entry.ts': 0,
  io: 0,
  integrity: 0.5, // the checks of manifest, header, index, records and keys: pure, shared by dataset, remote, verify and the store's record check
  store: 1,
  shuffle: 2,
  augment: 3,
  sampler: 3,
  context: 3,
  batch: 4,
  remote: 4.5, // object stores and the shard cache: below the dataset that reads through them
  dataset: 5,
  tfjs: 6,
  verify: 6,
  '': 7,
};

function layerOf(relative: string): { group: string; rank: number } {
  const parts = relative.split(path.sep);
  const group = parts.length === 1 ? (parts[0] in READER_LAYERS ? parts[0] : '') : parts[0];
  const rank = READER_LAYERS[group];
  if (rank === undefined) throw new Error(`shard-reader/src/${relative}: folder '${group}' has no layer in READER_LAYERS`);
  return { group, rank };
}

/** Imports that go up or sideways between shard-reader's layers, as "from -> to" lines. */
function layerViolations(srcDir: string, graph: Map<string, string[]>): string[] {
  const bad: string[] = [];
  for (const [file, imports] of graph) {
    const from = layerOf(path.relative(srcDir, file));
    for (const target of imports) {
      const to = layerOf(path.relative(srcDir, target));
      const ok = to.rank < from.rank || to.group === from.group || (from.group === '' && to.rank <= from.rank);
      if (!ok) bad.push(`${path.relative(srcDir, file)} (${from.group || 'src'}) -> ${path.relative(srcDir, target)} (${to.group || 'src'})`);
    }
  }
  return bad;
}

describe('architecture', () => {
  for (const name of readdirSync(PACKAGES)) {
    it(`${name}/src has no import cycle`, () => {
      const graph = importGraph(path.join(PACKAGES, name, 'src'));
      const cycles = findCycles(graph).map((c) => c.map((f) => path.relative(PACKAGES, f)).join(' -> '));
      expect(cycles).toEqual([]);
    });

    it(`${name}/src imports only the workspace packages its package.json lists`, () => {
      const manifest = JSON.parse(readFileSync(path.join(PACKAGES, name, 'package.json'), 'utf8'));
      const listed = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
      const stray = walk(path.join(PACKAGES, name, 'src')).flatMap((file) =>
        specifiers(file)
          .filter((s) => /^shard-[a-z]+/.test(s) && !listed.has(s.split('/')[0]))
          .map((s) => `${path.relative(PACKAGES, file)} -> ${s}`),
      );
      expect(stray).toEqual([]);
    });
  }

  it('shard-reader imports only downward: io -> integrity -> store -> shuffle -> augment, sampler, context -> batch -> dataset -> tfjs, verify', () => {
    const srcDir = path.join(PACKAGES, 'shard-reader', 'src');
    expect(layerViolations(srcDir, importGraph(srcDir))).toEqual([]);
  });

  it('dataset-folder names and format ids are spelled only in shard-format (constants.ts), never retyped', () => {
    const literal = /'(\.build\.lock|\.build|ct-shards|ct-shards-index|manifest\.json)'/;
    const retyped = readdirSync(PACKAGES)
      .filter((name) => name !== 'shard-format')
      .flatMap((name) => walk(path.join(PACKAGES, name, 'src')).flatMap((file) => readFileSync(file, 'utf8').split('\n').flatMap((line, i) => (literal.test(line) ? [`${path.relative(PACKAGES, file)}:${i + 1}: ${line.trim()}`] : []))));
    expect(retyped).toEqual([]);
  });

  it('the checks themselves catch a cycle and an upward import', () => {
    const a = path.join('x', 'batch', 'a.ts');
    const b = path.join('x', 'batch', 'b.ts');
    expect(findCycles(new Map([[a, [b]], [b, [a]]]))).toEqual([[a, b, a]]);
    expect(findCycles(new Map([[a, [b]], [b, []]]))).toEqual([]);
    expect(layerOf(path.join('batch', 'plan.ts')).rank).toBeGreaterThan(layerOf(path.join('store', 'spanner.ts')).rank);
    expect(() => layerOf(path.join('misc', 'util.ts'))).toThrow(/no layer/);
  });
});
