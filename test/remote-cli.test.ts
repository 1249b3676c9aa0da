// The shard command on s3:// (Ceph RGW) and http:// (nginx) datasets: same answers as on the local folder.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_OFFSET } from 'shard-format';
import { buildShards } from 'shard-writer';
import { s3ClientFor } from 'shard-reader/remote';
import { shard } from './helpers/run-cli.js';
import { ensureInstalled, startNginx, startRgw, type Rgw, type RunningServer } from './helpers/servers.js';
import { tempDir } from './helpers/tree.js';

const skip = await ensureInstalled();
if (skip) console.warn(`remote CLI tests skipped: ${skip}`);

const REAL_MR = path.join(import.meta.dirname, 'fixtures/real-mr');
const bucket = 'cli-test';
let work: string;
let data: string;
let rgw: Rgw;
let nginx: RunningServer;

async function upload(prefix: string, change?: (name: string, b: Buffer) => Buffer) {
  const client = s3ClientFor({ endpoint: rgw.endpoint });
  for (const name of readdirSync(data)) {
    const b = readFileSync(path.join(data, name));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${name}`, Body: change ? change(name, b) : b }));
  }
  client.destroy();
}

describe.skipIf(skip)('shard CLI on remote datasets', () => {
  beforeAll(async () => {
    work = tempDir();
    data = (await buildShards({ input: REAL_MR, out: path.join(work, 'www/mr'), size: 24, shardBytes: 4096 + 9 * 640 })).out;
    [rgw, nginx] = await Promise.all([startRgw(), startNginx(path.join(work, 'www'))]);
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: rgw.accessKeyId, AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey, AWS_REGION: rgw.region });
    const client = s3ClientFor({ endpoint: rgw.endpoint });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
    await upload('mr');
  });
  afterAll(async () => {
    await Promise.all([rgw?.stop(), nginx?.stop()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const where = () => [
    { name: 's3', url: `s3://${bucket}/mr`, flags: ['--s3-endpoint', rgw.endpoint] },
    { name: 'http', url: `${nginx.endpoint}/mr/`, flags: [] as string[] },
  ];

  it('inspect and order answer as for the local folder', async () => {
    const local = JSON.parse((await shard('inspect', data, '--json')).stdout);
    const localOrder = (await shard('order', data, '--json', '--shuffle', 'block', '--seed', '4', '--block-shards', '2')).stdout;
    for (const w of where()) {
      const r = await shard('inspect', w.url, '--json', ...w.flags, '--cache-dir', path.join(work, 'c'));
      expect(r.code, r.stderr).toBe(0);
      const remote = JSON.parse(r.stdout);
      expect(remote.dir).toMatch(/mr\/$/);
      expect({ ...remote, dir: data }).toEqual(local);
      const o = await shard('order', w.url, '--json', '--shuffle', 'block', '--seed', '4', '--block-shards', '2', ...w.flags, '--cache-dir', path.join(work, 'c'));
      expect(o.stdout).toBe(localOrder);
    }
  });

  it('export writes the same files; bench reads through the cache', async () => {
    const localOut = path.join(work, 'export-local');
    expect((await shard('export', data, '--out', localOut, '--format', 'npy', '--limit', '20')).code).toBe(0);
    for (const w of where()) {
      const out = path.join(work, `export-${w.name}`);
      const r = await shard('export', w.url, '--out', out, '--format', 'npy', '--limit', '20', ...w.flags, '--cache-dir', path.join(work, 'c'));
      expect(r.code, r.stderr).toBe(0);
      for (const f of readdirSync(localOut, { recursive: true }) as string[]) {
        if (f.endsWith('.npy') || f.endsWith('.csv')) expect(readFileSync(path.join(out, f)).equals(readFileSync(path.join(localOut, f))), f).toBe(true);
      }
      const b = await shard('bench', w.url, '--json', '--seconds', '0.3', '--shuffle', 'block', '--batch-size', '4', '--block-shards', '1', '--prefetch', '1', ...w.flags, '--cache-dir', path.join(work, `bench-${w.name}`), '--cache-bytes', String(3 * 9856));
      expect(b.code, b.stderr).toBe(0);
      expect(JSON.parse(b.stdout).samplesPerSec).toBeGreaterThan(0);
    }
  });

  it('verify: intact exits 0; a shard damaged in the bucket exits 1 naming it; no dataset at the URL exits 2', async () => {
    for (const w of where()) {
      const r = await shard('verify', w.url, '-q', ...w.flags);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/: intact; 6 shards, 51 samples/);
    }
    await upload('damaged', (name, b) => {
      if (name !== 'shard-00003.bin') return b;
      const out = Buffer.from(b);
      out[DATA_OFFSET + 2 * 640 + 7] ^= 1;
      return out;
    });
    const bad = await shard('verify', `s3://${bucket}/damaged/`, '-q', '--json', '--s3-endpoint', rgw.endpoint);
    expect(bad.code).toBe(1);
    const problems = JSON.parse(bad.stdout).problems;
    expect(problems.some((p: { shard?: string; file?: string; record?: number }) => (p.shard ?? p.file) === 'shard-00003.bin' && p.record === 2)).toBe(true);
    const none = await shard('verify', `${nginx.endpoint}/nothing/`, '-q');
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(`shard: ${nginx.endpoint}/nothing/: no manifest.json (not a dataset, or its build has not finished uploading)\n`);
    const open = await shard('inspect', `${nginx.endpoint}/nothing/`);
    expect(open.code).toBe(2);
    expect(open.stderr.split('\n')).toHaveLength(2); // one line, no stack
  });

  it("the AWS SDK's Node-version notice: never from the shard command, at most once from a training process", async () => {
    const env = { ...process.env };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const run = (...args: string[]) => spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', ...args], { cwd: path.join(import.meta.dirname, '..'), env, encoding: 'utf8' });
    // The command as users start it (its bin), with a download through the download threads.
    const r = run('packages/shard-cli/bin/shard.js', 'verify', `s3://${bucket}/mr`, '-q', '--s3-endpoint', rgw.endpoint);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    // The main thread's S3 client may tell the user once (Node < 22); the download threads do not repeat it.
    const child = run(path.join(import.meta.dirname, 'helpers/s3-epoch-child.ts'), `s3://${bucket}/mr`, rgw.endpoint, path.join(work, 'notice-cache'));
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout.trim()).toBe('51');
    const notices = child.stderr.split('NodeVersionSupportWarning').length - 1;
    expect(notices).toBe(Number(process.versions.node.split('.')[0]) < 22 ? 1 : 0);
  });
});
