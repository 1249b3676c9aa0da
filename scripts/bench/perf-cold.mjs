// Where the CPU of one cold-cache epoch goes, by thread and by kind of work, from a perf profile (Linux `perf`):
// runs profile-remote.ts once (PROFILE_STORE=s3 by default) under `perf record`, takes the window from the first
// to the last SHA-256 sample of the download threads (the cold epoch's downloads), and splits that window's
// samples: download threads (SHA-256, receiving, writing the cache file, the rest), batch workers, main thread,
// the servers' processes, and what was left idle of the machine's cores.
// node scripts/bench/perf-cold.mjs [s3|http]   (SHARD_READER_NO_PUMP=1: without the native pump;
//   PERF_COLD_TOP=<kind prefix>: top stacks of that kind instead of "other"; PERF_COLD_JS=1: by innermost JS frame)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const store = process.argv[2] ?? 's3';
const HZ = 1999;
const dir = path.resolve('.bench-data/shards-remote-full');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'perf-cold-'));
const data = path.join(tmp, 'perf.data');
try {
  const rec = spawnSync('perf', ['record', '-F', String(HZ), '-g', '-o', data, '--', process.execPath, '--perf-basic-prof', '--interpreted-frames-native-stack', '--conditions=source', '--import', 'tsx', 'scripts/bench/profile-remote.ts'], {
    env: { ...process.env, PROFILE_STORE: store, PROFILE_ROUNDS: '1' },
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  if (rec.status !== 0) throw new Error(`perf record failed (is perf installed and allowed?): ${rec.stderr.trim().split('\n').pop()}`);
  const script = spawnSync('perf', ['script', '-i', data, '-F', 'pid,tid,comm,time,ip,sym,dso'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const samples = [];
  for (const block of script.stdout.split('\n\n')) {
    const lines = block.trim().split('\n');
    const m = /^\s*(\S.*?)\s+(\d+)\/(\d+)\s+([\d.]+):/.exec(lines[0]);
    if (!m) continue;
    samples.push({ comm: m[1], pid: m[2], tid: m[3], t: Number(m[4]), stack: lines.slice(1).map((l) => l.trim().replace(/^\S+\s+/, '')).join(' | ') });
  }
  const client = samples.find((s) => s.comm === 'node')?.pid;
  const ours = samples.filter((s) => s.pid === client);
  const count = (xs, f) => xs.reduce((m, x) => m.set(f(x), (m.get(f(x)) ?? 0) + 1), new Map());
  const isSha = (s) => /^sha256_block_data_order/.test(s.stack);
  const shaByTid = count(ours.filter((s) => s.tid !== client && isSha(s)), (s) => s.tid);
  // Download threads hash (the native pump's threads, or the JS download workers without it).
  const dl = new Set([...shaByTid].filter(([, n]) => n > 20).map(([t]) => t));
  const times = ours.filter((s) => dl.has(s.tid) && isSha(s)).map((s) => s.t);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const win = samples.filter((s) => s.t >= t0 && s.t <= t1);
  const batch = new Set([...count(win.filter((s) => s.pid === client && /ClmulFold|crc32c/i.test(s.stack)), (s) => s.tid)].filter(([, n]) => n > 5).map(([t]) => t));
  // With the pump, the JS download workers no longer hash: they are the threads running the download loop.
  const jsWorkers = new Set([...count(win.filter((s) => s.pid === client && s.tid !== client && !dl.has(s.tid) && /remote\/(download|ingest-worker|socket-get)\.ts/.test(s.stack)), (s) => s.tid)].filter(([, n]) => n > 2).map(([t]) => t));
  const kind = (s) => {
    if (s.pid !== client) return 'servers';
    if (dl.has(s.tid)) {
      if (isSha(s)) return 'download threads: SHA-256';
      // Writes run inside the socket's read callback, so a write's stack also shows uv__read: test writes first.
      if (/vfs_write|do_pwritev|pwritev|ext4_file_write_iter|ext4_buffered_write|WriteBuffers/.test(s.stack)) return 'download threads: writing the cache file';
      if (/ksys_read|sock_read_iter|sock_recvmsg|tcp_recvmsg/.test(s.stack) || /^(read|uv__read|__libc_read)\b/.test(s.stack)) return 'download threads: receiving';
      if (/@smithy|@aws-sdk/.test(s.stack)) return 'download threads: the SDK (presigning)';
      return 'download threads: the rest';
    }
    if (batch.has(s.tid)) return 'batch workers (copy + CRC)';
    if (jsWorkers.has(s.tid)) return 'download workers (JS: requests, presigning, sinks)';
    if (s.tid === client) return 'main thread';
    return 'other threads (GC, JIT, libuv pool)';
  };
  const bytes = readdirSync(dir).filter((f) => f.endsWith('.bin')).reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
  const span = t1 - t0;
  const cores = os.availableParallelism();
  console.log(`\ncold epoch's download window: ${(span * 1000).toFixed(0)} ms for ${(bytes / 1e6).toFixed(0)} MB (${(bytes / span / 1e9).toFixed(2)} GB/s); CPU seconds (per GB):`);
  const by = count(win, kind);
  const order = [...by].sort((a, b) => a[0].localeCompare(b[0]));
  for (const [k, n] of order) console.log(`  ${k.padEnd(44)} ${(n / HZ).toFixed(3)} s (${(n / HZ / (bytes / 1e9)).toFixed(2)} s/GB)`);
  const busy = win.length / HZ;
  const mine = win.filter((s) => s.pid === client).length / HZ;
  console.log(`  ${'this process in all'.padEnd(44)} ${mine.toFixed(3)} s (${(mine / (bytes / 1e9)).toFixed(2)} s/GB)`);
  console.log(`  ${'idle, of ' + cores + ' cores'.padEnd(38)} ${Math.max(0, cores * span - busy).toFixed(3)} s (${((1 - busy / (cores * span)) * 100).toFixed(0)}% of the window)`);
  const restAll = win.filter((s) => kind(s) === 'download threads: the rest');
  const restKernel = restAll.filter((s) => s.stack.split(' | ')[0].includes('[kernel.kallsyms]')).length;
  console.log(`  of the download threads' rest, in the kernel: ${(restKernel / HZ).toFixed(3)} s`);
  const rest = count(win.filter((s) => kind(s) === 'download threads: the rest'), (s) => s.stack.split(' | ').slice(0, 3).join(' < ').slice(0, 120));
  console.log(`  the download threads' rest, top stacks: ${[...rest].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, n]) => `${n} ${k}`).join('\n    ')}`);
  const others = count(win.filter((s) => kind(s).startsWith(process.env.PERF_COLD_TOP ?? 'other')), (s) => (process.env.PERF_COLD_JS ? s.stack.split(' | ').find((f) => f.startsWith('JS:')) ?? s.stack.split(' | ')[0] : s.stack.split(' | ').slice(0, 2).join(' < ')).slice(0, 110));
  console.log(`  other threads, top stacks: ${[...others].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, n]) => `${n} ${k}`).join('\n    ')}`);
  const servers = count(win.filter((s) => s.pid !== client), (s) => s.comm);
  console.log(`  servers by thread name: ${[...servers].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([c, n]) => `${c} ${(n / HZ).toFixed(3)} s`).join(', ')}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
  for (const f of readdirSync('.')) if (/^isolate-.*-v8\.log$/.test(f)) rmSync(f);
}
