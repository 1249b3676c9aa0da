// build --out s3:// (with --part) and shard merge on the real Ceph RGW: parts from two processes, a kill mid-upload, training from s3://.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataset } from 'shard-reader';
import { s3ClientFor } from 'shard-reader/remote';
import { toTfDataset } from 'shard-reader/tfjs';
import { FaultProxy } from './helpers/fault-proxy.js';
import { shard } from './helpers/run-cli.js';
import { folderBytes } from './helpers/read-shards.js';
import { ensureInstalled, startRgw, type Rgw } from './helpers/servers.js';
import { LABELS, tempDir, writeLabels, writePng } from './helpers/tree.js';

const skip = await ensureInstalled();
if (skip) console.warn(`remote parts tests skipped: ${skip}`);

const ROOT = path.resolve(import.meta.dirname, '..');
const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const bucket = 'parts-test';
const OPTS = ['--size', '16', '--shard-bytes', '8KiB', '--workers', '2', '-q'];
let work: string;
let tree: string;
let one: string;
let rgw: Rgw;
let client: S3Client;

/** 400 PNGs in 8 patients and a 3-D NIfTI volume: about 36 shards of 12 records. */
function makeTree(root: string): void {
  for (let p = 0; p < 8; p++) {
    const dir = path.join(root, `patient_${p}`);
    for (let s = 0; s < 50; s++) writePng(path.join(dir, `slice_${String(s).padStart(2, '0')}.png`), { width: 16, height: 16, depth: 8, channels: 1, value: (x, y) => (x * 5 + y * 9 + p * 17 + s * 3) & 255 });
    writeLabels(dir, LABELS, Array.from({ length: 50 }, (_, s) => [`slice_${String(s).padStart(2, '0')}.png`, s % 2, p % 2, (s + p) % 3 === 0 ? 1 : 0, 0, 1]));
  }
  mkdirSync(path.join(root, 'patient_3b'));
  copyFileSync(path.join(FIXTURES, 'nifti', 'anatomical.nii'), path.join(root, 'patient_3b', 'head.nii'));
  writeLabels(path.join(root, 'patient_3b'), LABELS, [['head.nii', 1, 1, 0, 0, 0]]);
}

/** The CLI in its own process, as a scheduler runs it; resolves with its exit code and output. */
function shardProcess(args: string[], onSpawn?: (kill: () => void) => void): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(ROOT, 'packages/shard-cli/bin/shard.js'), ...args], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
    onSpawn?.(() => child.kill('SIGKILL'));
  });
}

async function keys(prefix: string): Promise<string[]> {
  const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/` }));
  return (r.Contents ?? []).map((o) => o.Key!.slice(prefix.length + 1)).sort();
}

async function objectBytes(prefix: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const k of await keys(prefix)) {
    const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/${k}` }));
    out.set(k, Buffer.from(await r.Body!.transformToByteArray()));
  }
  return out;
}

function expectSame(actual: Map<string, Buffer>, expected: Map<string, Buffer>) {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [name, bytes] of expected) expect(Buffer.compare(actual.get(name)!, bytes), name).toBe(0);
}

describe.skipIf(skip)('build --out s3:// and merge on the real RGW', () => {
  beforeAll(async () => {
    work = tempDir('shards-s3parts-');
    tree = path.join(work, 'tree');
    makeTree(tree);
    one = path.join(work, 'one');
    rgw = await startRgw();
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey, AWS_REGION: rgw.region });
    client = s3ClientFor({ endpoint: rgw.endpoint });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const r = await shard('build', tree, '--out', one, ...OPTS);
    expect(r.code, r.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => {
    client?.destroy();
    await rgw?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('two --part processes build to s3, merge joins them on s3 byte-identical to one local build, and it trains one epoch through toTfDataset from s3:// with a cache a quarter of its size', async () => {
    const ep = ['--s3-endpoint', rgw.endpoint];
    const runs = await Promise.all([0, 1].map((k) => shardProcess(['build', tree, '--out', `s3://${bucket}/parts/${k}`, '--part', `${k}/2`, ...OPTS, ...ep])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    for (const k of [0, 1]) expect(await keys(`parts/${k}`)).toContain('part.json');
    expect(await keys('parts/0')).not.toContain('manifest.json');

    const m = await shard('merge', `s3://${bucket}/parts/0`, `s3://${bucket}/parts/1`, '--out', `s3://${bucket}/ds`, ...ep, '--json', '-q');
    expect(m.code, m.stderr).toBe(0);
    expect(JSON.parse(m.stdout)).toMatchObject({ parts: 2, identical: true, out: `s3://${bucket}/ds/` });
    expectSame(await objectBytes('ds'), folderBytes(one));
    // Every object carries the SHA-256 a rerun checks before uploading again.
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'ds/shard-00000.bin' }));
    expect(head.Metadata?.sha256).toMatch(/^[0-9a-f]{64}$/);

    const size = [...folderBytes(one).entries()].filter(([n]) => n.endsWith('.bin')).reduce((a, [, b]) => a + b.length, 0);
    const ds = await openDataset(`s3://${bucket}/ds`, { cacheDir: path.join(work, 'cache'), cacheBytes: Math.floor(size / 4), s3: { endpoint: rgw.endpoint }, workers: 0 });
    try {
      const seen: string[] = [];
      const data = toTfDataset(ds, tf, { batchSize: 16, seed: 3, shuffle: 'block', blockShards: 2, prefetch: 2, onBatch: (b) => seen.push(...b.keys) });
      const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: ds.shape }), tf.layers.dense({ units: ds.labelNames.length, activation: 'sigmoid' })] });
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
      const history = await model.fitDataset(data, { epochs: 1, verbose: 0 });
      model.optimizer.dispose();
      model.dispose();
      expect(history.history.loss).toHaveLength(1);
      expect(Number.isFinite(history.history.loss[0] as number)).toBe(true);
      expect(seen).toHaveLength(ds.size);
      expect([...seen].sort()).toEqual([...ds.keys].sort());
    } finally {
      await ds.close();
    }
  }, 240_000);

  it('killed mid-upload, no manifest is at the prefix; the rerun resumes, skips the objects already uploaded intact, and ends with the one-machine bytes', async () => {
    // Every answer from the store held back, so the kill lands while shards are still being uploaded.
    const proxy = await FaultProxy.to(rgw.endpoint);
    proxy.plan = () => ({ delayMs: 60 });
    const url = `s3://${bucket}/killed`;
    const stage = path.join(work, 'stage-killed');
    let polling = true;
    const killed = await shardProcess(['build', tree, '--out', url, ...OPTS, '--s3-endpoint', proxy.endpoint, '--stage', stage], async (kill) => {
      while (polling) {
        if ((await keys('killed')).filter((k) => k.endsWith('.bin')).length >= 3) return kill();
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    polling = false;
    await proxy.stop();
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const before = await keys('killed');
    expect(before).not.toContain('manifest.json');
    const uploadedBefore = before.filter((k) => k.startsWith('shard-')).length;
    expect(uploadedBefore).toBeGreaterThanOrEqual(3);

    const rerun = await shard('build', tree, '--out', url, ...OPTS, '--s3-endpoint', rgw.endpoint, '--stage', stage, '--json');
    expect(rerun.code, rerun.stderr).toBe(0);
    const s = JSON.parse(rerun.stdout);
    expect(s.alreadyThere).toBe(uploadedBefore);
    expect(s.uploaded + s.alreadyThere).toBe(2 * s.shards + 1);
    expectSame(await objectBytes('killed'), folderBytes(one));
    // The --stage folder is the user's: it is kept, holding the dataset just published.
    expect(readdirSync(stage)).toContain('manifest.json');
    expect(readFileSync(path.join(stage, 'manifest.json'))).toEqual(folderBytes(one).get('manifest.json'));
  }, 240_000);

  it('refuses a prefix holding objects that are not a dataset, and an http(s) --out, in one line', async () => {
    await client.send(new (await import('@aws-sdk/client-s3')).PutObjectCommand({ Bucket: bucket, Key: 'foreign/notes.txt', Body: 'mine' }));
    const r = await shard('build', tree, '--out', `s3://${bucket}/foreign`, ...OPTS, '--s3-endpoint', rgw.endpoint);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`shard: s3://${bucket}/foreign/: holds objects that are not a shard dataset (e.g. "notes.txt"); choose a new or empty prefix\n`);
    expect(await keys('foreign')).toEqual(['notes.txt']);
    const h = await shard('build', tree, '--out', 'https://example.com/x/', ...OPTS);
    expect(h.code).toBe(2);
    expect(h.stderr).toMatch(/^shard: --out https:\/\/example\.com\/x\/: a build writes to a folder or to s3:\/\/bucket\/prefix/);
  });
});
