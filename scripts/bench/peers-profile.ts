// Profiling target for the peers' scaling gap: the bench's read (batch 32, global shuffle, released batches)
// for a few seconds, then where each thread's CPU time went, from /proc/self/task (utime + stime per thread,
// minor faults, voluntary/involuntary context switches), per batch.
//   node --conditions=source --import tsx scripts/bench/peers-profile.ts DIR [WORKERS=2] [SECONDS=4] [verify|noverify] [PREFETCH]
// Under `perf record -g -k mono --call-graph dwarf` (or -g with --perf-basic-prof) it also shows where each
// thread's samples go; `perf report --sort comm,dso,sym` splits them by thread name (node / batch-worker-N).
import { readdirSync, readFileSync } from 'node:fs';
import { measureThroughput, openDataset } from 'shard-reader';

const [dir, workers = '2', seconds = '4', mode = 'verify', prefetch] = process.argv.slice(2);
const extra = prefetch ? { prefetch: Number(prefetch) } : {};
if (!dir) throw new Error('usage: peers-profile.ts DIR [WORKERS] [SECONDS] [verify|noverify]');

interface ThreadTimes {
  name: string;
  cpu: number; // seconds of user + system time
  sys: number;
  minflt: number;
  voluntary: number;
  involuntary: number;
}

const tick = 100; // USER_HZ on Linux

function threads(): Map<string, ThreadTimes> {
  const out = new Map<string, ThreadTimes>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
      const status = readFileSync(`/proc/self/task/${tid}/status`, 'utf8');
      const field = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
      out.set(tid, { name, cpu: (Number(f[11]) + Number(f[12])) / tick, sys: Number(f[12]) / tick, minflt: Number(f[7]), voluntary: field('voluntary_ctxt_switches'), involuntary: field('nonvoluntary_ctxt_switches') });
    } catch {
      // a thread that ended in between
    }
  }
  return out;
}

const ds = await openDataset(dir, { workers: Number(workers), verify: mode !== 'noverify' });
await ds.ready();
// One warm-up second: mappings faulted in and buffer pools filled, as in the bench's steady state.
await measureThroughput(ds, { batchSize: 32, seed: 1, shuffle: 'global', seconds: 1, ...extra });
const before = threads();
const wall = performance.now();
const t = await measureThroughput(ds, { batchSize: 32, seed: 1, shuffle: 'global', seconds: Number(seconds), epoch: 1, ...extra });
const elapsed = (performance.now() - wall) / 1000;
const after = threads();
await ds.close();

const rows: string[] = [];
for (const [tid, a] of after) {
  const b = before.get(tid);
  if (!b) continue;
  const cpu = a.cpu - b.cpu;
  if (cpu < 0.02 * elapsed) continue; // idle helper threads
  const perBatch = (x: number) => ((x / t.batches) * 1e6).toFixed(0);
  rows.push(
    `${a.name.padEnd(16)} tid ${tid.padStart(7)}  busy ${((100 * cpu) / elapsed).toFixed(0).padStart(3)}%  ` +
      `cpu/batch ${perBatch(cpu).padStart(5)} us (sys ${perBatch(a.sys - b.sys)})  ` +
      `minflt/batch ${((a.minflt - b.minflt) / t.batches).toFixed(1)}  ctxsw/batch vol ${((a.voluntary - b.voluntary) / t.batches).toFixed(2)} invol ${((a.involuntary - b.involuntary) / t.batches).toFixed(2)}`,
  );
}
process.stdout.write(
  `workers ${workers} ${mode}: ${Math.round(t.samplesPerSec)} samples/s, ${t.batches} batches in ${elapsed.toFixed(2)} s, ` +
    `${((elapsed / t.batches) * 1e6).toFixed(0)} us wall per batch\n${rows.join('\n')}\n`,
);
