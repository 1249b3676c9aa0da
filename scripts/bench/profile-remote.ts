// Scratch profiler for the remote bench: raw limit, cold and warm block-shuffle epochs against local, side by side (PROFILE_STORE=http|s3, PROFILE_ROUNDS, PROFILE_WORKERS, PROFILE_QUICK).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { measureThroughput, openDataset, type Dataset } from 'shard-reader';
import { s3ClientFor } from 'shard-reader/remote';
import { startNginx, startRgw, type Rgw, type RunningServer } from '../../test/helpers/servers.js';
import { ensureShards, ensureSource } from './data.js';
import { fetchGet, rawLimit, sdkGet, uploadDataset, useRgwCredentials } from './remote-setup.js';

const quick = process.env.PROFILE_QUICK === '1';
const useS3 = process.env.PROFILE_STORE === 's3';
const rounds = Number(process.env.PROFILE_ROUNDS ?? 3);
const workers = process.env.PROFILE_WORKERS === undefined ? undefined : Number(process.env.PROFILE_WORKERS);
const ctx = { quick, dataDir: path.resolve('.bench-data'), seconds: 1, log: (m: string) => console.log(m) } as never;
const spec = quick ? { patients: 5, slices: 120, size: 256, bits: 16 as const } : { patients: 20, slices: 200, size: 256, bits: 16 as const };
const dir = await ensureShards(ctx, await ensureSource(ctx, spec), quick ? 'remote-quick' : 'remote-full', { size: 256, shardBytes: (quick ? 4 : 16) * 2 ** 20 });
const epoch = async (ds: Dataset) => measureThroughput(ds, { batchSize: 32, seed: 1, shuffle: 'block', blockShards: 2, seconds: 3600, maxSamples: ds.size });
/** Name and CPU seconds (user + system) of a process or thread from its /proc stat file; undefined once it is gone. */
const procCpu = (statFile: string): [string, number] | undefined => {
  try {
    const stat = readFileSync(statFile, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), (Number(f[11]) + Number(f[12])) / 100];
  } catch {
    return undefined;
  }
};
/** CPU seconds of each thread of this process (Linux /proc): tid -> [name, seconds]. */
const threadCpu = (): Map<string, [string, number]> => {
  const out = new Map<string, [string, number]>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const cpu = procCpu(`/proc/self/task/${tid}/stat`);
      if (cpu) out.set(tid, cpu);
    }
  } catch {
    // not Linux
  }
  return out;
};
const threadReport = (before: Map<string, [string, number]>) =>
  [...threadCpu()]
    .map(([tid, [name, s]]) => [`${name}${tid === String(process.pid) ? '(main)' : ''}`, s - (before.get(tid)?.[1] ?? 0)] as const)
    .filter(([, s]) => s >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([n, s]) => `${n} ${s.toFixed(2)}`)
    .join(', ');
/** CPU seconds (user + system, every thread of this process) since `from`. */
const cpuSince = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
};
/** CPU seconds so far of the servers' processes (radosgw, ceph-osd, ceph-mon, nginx): what the client competes with. */
const serverCpu = (): number => {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const cpu = procCpu(`/proc/${pid}/stat`);
    if (cpu && /^(radosgw|ceph-osd|ceph-mon|nginx)/.test(cpu[0])) total += cpu[1];
  }
  return total;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const work = mkdtempSync(path.join(os.tmpdir(), 'rp-'));
const server: RunningServer | Rgw = useS3 ? await startRgw() : await startNginx(path.dirname(dir));
try {
  const local = await openDataset(dir, { workers });
  const files = local.manifest.shards.map((s) => s.file);
  const bytes = local.manifest.shards.reduce((n, s) => n + s.bytes, 0);
  let url: string;
  let get: (f: string) => Promise<number>;
  let s3: { endpoint: string } | undefined;
  if (useS3) {
    const rgw = server as Rgw;
    useRgwCredentials(rgw);
    const client = s3ClientFor({ endpoint: rgw.endpoint, maxSockets: 8 });
    await uploadDataset(client, 'profile', 'ds/', dir, local.manifest);
    url = 's3://profile/ds';
    s3 = { endpoint: rgw.endpoint };
    get = sdkGet(client, 'profile', 'ds/');
  } else {
    url = `${server.endpoint}/${path.basename(dir)}/`;
    get = fetchGet(url);
  }
  const raw = () => rawLimit(files, get);
  await raw();
  await epoch(local);
  const open = () => openDataset(url, { cacheDir: path.join(work, 'c'), cacheBytes: bytes, workers, s3 });
  for (let r = 0; r < rounds; r++) {
    // Cold against raw, side by side: a fresh cacheDir each round.
    rmSync(path.join(work, 'c'), { recursive: true, force: true });
    let cpu = process.cpuUsage();
    let srv = serverCpu();
    const rawRate = await raw();
    const rawCpu = cpuSince(cpu);
    const rawSrv = serverCpu() - srv;
    const cold = await open();
    await cold.ready();
    cpu = process.cpuUsage();
    const threads = threadCpu();
    const elu = performance.eventLoopUtilization();
    srv = serverCpu();
    const c = await epoch(cold);
    const coldSrv = serverCpu() - srv;
    console.log(`  servers' CPU per GB: raw ${(rawSrv / (bytes / 1e9)).toFixed(2)} s, cold epoch ${(coldSrv / (bytes / 1e9)).toFixed(2)} s`);
    console.log(`  cold epoch CPU s by thread: ${threadReport(threads)}`);
    const coldElu = performance.eventLoopUtilization(elu).utilization;
    const coldCpu = cpuSince(cpu);
    await cold.close();
    const rawAfter = await raw();
    const limit = (rawRate + rawAfter) / 2;
    // Warm against local: one warm-up epoch each (local had its own), then alternating epochs.
    const warm = await open();
    await warm.ready();
    cpu = process.cpuUsage();
    await epoch(warm);
    const firstWarmCpu = cpuSince(cpu);
    cpu = process.cpuUsage();
    await epoch(local);
    const localCpu = cpuSince(cpu);
    const h: number[] = [];
    const l: number[] = [];
    const srvWarm = serverCpu();
    const tWarm = performance.now();
    for (let i = 0; i < 4; i++) {
      h.push((await epoch(warm)).samplesPerSec);
      l.push((await epoch(local)).samplesPerSec);
    }
    console.log(`  servers' CPU while the warm and local epochs ran: ${(serverCpu() - srvWarm).toFixed(2)} s in ${((performance.now() - tWarm) / 1000).toFixed(2)} s`);
    await warm.close();
    console.log(`  this process's CPU per GB: raw ${(rawCpu / (bytes / 1e9)).toFixed(2)} s, cold epoch ${(coldCpu / (bytes / 1e9)).toFixed(2)} s (main thread busy ${(coldElu * 100).toFixed(0)}% of the cold epoch), first warm epoch ${(firstWarmCpu / (bytes / 1e9)).toFixed(2)} s, local epoch ${(localCpu / (bytes / 1e9)).toFixed(2)} s`);
    console.log(`round ${r}: raw ${(limit / 1e9).toFixed(3)} GB/s, cold ${(c.bytesPerSec / 1e9).toFixed(3)} GB/s = ${(c.bytesPerSec / limit).toFixed(2)}x; warm ${mean(h).toFixed(0)}/s vs local ${mean(l).toFixed(0)}/s = ${(mean(h) / mean(l)).toFixed(2)}x (warm ${h.map((x) => x.toFixed(0)).join(' ')}; local ${l.map((x) => x.toFixed(0)).join(' ')})`);
  }
  await local.close();
} finally {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}
