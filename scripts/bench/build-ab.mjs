// A/B of two `shard` CLIs building the same tree, interleaved: rate (slices/s as the build reports it) and
// CPU seconds (user + sys, /usr/bin/time) of each build, medians per side. For "before -> after" figures:
// check out the older commit in a worktree, build it (`tsc -b tsconfig.build.json`), then
//   node scripts/bench/build-ab.mjs <old>/packages/shard-cli/bin/shard.js packages/shard-cli/bin/shard.js <tree> <size> [rounds]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [a, b, tree, size, rounds = '4'] = process.argv.slice(2);
if (!a || !b || !tree || !size) throw new Error('usage: build-ab.mjs CLI_A CLI_B TREE SIZE [ROUNDS]');
const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'build-ab-')), 'out');
const runs = { A: [], B: [] };
for (let r = 0; r < Number(rounds); r++) {
  for (const side of r % 2 ? ['B', 'A'] : ['A', 'B']) {
    rmSync(out, { recursive: true, force: true });
    const p = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, side === 'A' ? a : b, 'build', tree, '--out', out, '--size', size, '-q', '--json'], { maxBuffer: 1 << 26 });
    if (p.status !== 0) throw new Error(`${side}: ${p.stderr}`);
    const s = JSON.parse(p.stdout.toString());
    const [user, sys] = p.stderr.toString().trim().split('\n').pop().split(' ').map(Number);
    runs[side].push({ rate: s.samples / s.seconds, cpu: user + sys });
  }
}
rmSync(path.dirname(out), { recursive: true, force: true });
const median = (xs) => xs.slice().sort((x, y) => x - y)[Math.floor(xs.length / 2)];
for (const side of ['A', 'B']) {
  const r = runs[side];
  console.log(`${side}: slices/s ${r.map((x) => x.rate.toFixed(0)).join(' ')} (median ${median(r.map((x) => x.rate)).toFixed(0)}); CPU s ${r.map((x) => x.cpu.toFixed(2)).join(' ')} (median ${median(r.map((x) => x.cpu)).toFixed(2)})`);
}
