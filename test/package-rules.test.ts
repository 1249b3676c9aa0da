// Architecture rules the package manifests must keep: who may depend on what, and what each package exports.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const PACKAGES = path.join(import.meta.dirname, '..', 'packages');
const manifest = (name: string) => JSON.parse(readFileSync(path.join(PACKAGES, name, 'package.json'), 'utf8'));
const runtimeDeps = (name: string) => Object.keys(manifest(name).dependencies ?? {});

describe('package rules', () => {
  it('shard-format has no dependencies at all: it is only the bytes', () => {
    expect(manifest('shard-format').dependencies ?? {}).toEqual({});
  });

  it('sharp is a dependency of the writer and the CLI (contact sheets, thumbnails) only; tfjs is never a runtime dependency', () => {
    for (const name of readdirSync(PACKAGES)) {
      const deps = runtimeDeps(name);
      if (name !== 'shard-writer' && name !== 'shard-cli') expect(deps, name).not.toContain('sharp');
      expect(deps.filter((d) => d.startsWith('@tensorflow/')), name).toEqual([]);
    }
    const reader = manifest('shard-reader');
    expect(reader.peerDependenciesMeta?.['@tensorflow/tfjs-node']?.optional).toBe(true);
  });

  it('the reader does not depend on the writer, nor the writer on the reader', () => {
    expect(runtimeDeps('shard-reader')).not.toContain('shard-writer');
    expect(runtimeDeps('shard-writer')).not.toContain('shard-reader');
  });

  it('every export points at an existing source file, with the source condition first', () => {
    for (const name of readdirSync(PACKAGES)) {
      const exports = manifest(name).exports as Record<string, Record<string, string>>;
      for (const [sub, target] of Object.entries(exports)) {
        expect(Object.keys(target)[0], `${name} ${sub}`).toBe('source');
        expect(existsSync(path.join(PACKAGES, name, target.source)), `${name} ${sub} -> ${target.source}`).toBe(true);
      }
    }
  });

  it('no source file imports tfjs at runtime (the caller passes tf in)', () => {
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    for (const file of walk(path.join(PACKAGES, 'shard-reader', 'src')).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(file, 'utf8');
      expect(/^import (?!type)[^;]*from '@tensorflow\//m.test(text), file).toBe(false);
    }
  });

  it("shard-reader's index is a hand-picked list: no record-I/O internals, verify behind its own subpath", async () => {
    const index = readFileSync(path.join(PACKAGES, 'shard-reader', 'src', 'index.ts'), 'utf8');
    expect(index).not.toMatch(/^export \*/m);
    const api = Object.keys(await import('shard-reader'));
    for (const internal of ['fastCrc32', 'floatConverter', 'loadMmapAddon', 'openSource', 'sourceFromFd', 'openMmapSource', 'openPreadSource', 'mmapSourceFromFd', 'preadSourceFromFd', 'verifyDataset']) {
      expect(api, internal).not.toContain(internal);
    }
    expect(api).toEqual(expect.arrayContaining(['openDataset', 'CorruptRecordError', 'FileChangedError', 'dropPageCache', 'liveMappings']));
    const verify = await import('shard-reader/verify');
    expect(Object.keys(verify).sort()).toEqual(['MAX_RECORD_PROBLEMS_PER_SHARD', 'formatProblem', 'verifyDataset']);
  });

  it("shard-reader/tfjs is a hand-picked list: the adapter, not its helpers", async () => {
    const entry = readFileSync(path.join(PACKAGES, 'shard-reader', 'src', 'tfjs.ts'), 'utf8');
    expect(entry).not.toMatch(/^export \*/m);
    expect(Object.keys(await import('shard-reader/tfjs')).sort()).toEqual(['floatTransform', 'toTfDataset']);
  });

  it("shard-writer exports its public API only: building, options and their parsers, the shard-set writer", async () => {
    const entry = readFileSync(path.join(PACKAGES, 'shard-writer', 'src', 'index.ts'), 'utf8');
    expect(entry).not.toMatch(/^export \*/m);
    const api = Object.keys(await import('shard-writer'));
    for (const internal of ['discoverSlices', 'joinLabels', 'preprocessSlice', 'configureDecoder', 'mapOrdered', 'decodeMedical', 'decodeDicom', 'applyWindow', 'planSplit', 'assignGroups', 'seededOrder', 'stratifiedOrder', 'ValueTotals', 'resampleTo']) {
      expect(api, internal).not.toContain(internal);
    }
    expect(api).toEqual(expect.arrayContaining(['buildShards', 'buildSplit', 'resolveOptions', 'BUILD_DEFAULTS', 'InputError', 'ShardSetWriter', 'parseSplitSpec']));
  });

  it('shard-reader exports the options resolvers the CLI checks its reader flags with', async () => {
    expect(Object.keys(await import('shard-reader'))).toEqual(expect.arrayContaining(['resolveBatchOptions', 'resolveReaderWorkers', 'BATCH_DEFAULTS', 'defaultReaderWorkers', 'maxReaderWorkers']));
  });
});
