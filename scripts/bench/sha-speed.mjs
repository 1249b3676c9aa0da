// SHA-256 speed of node:crypto (OpenSSL) on this machine, with the CPU's SHA extensions and, in a child
// process, without them (OPENSSL_ia32cap masks them): what whole-shard checks cost per byte.
// node scripts/bench/sha-speed.mjs
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';

const buf = Buffer.alloc(16 << 20, 7);
let best = Infinity;
for (let r = 0; r < 5; r++) {
  const t = process.hrtime.bigint();
  const h = createHash('sha256');
  for (let o = 0; o < buf.length; o += 1 << 20) h.update(buf.subarray(o, o + (1 << 20)));
  h.digest();
  best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9);
}
const gbps = buf.length / best / 1e9;
if (process.env.SHA_SPEED_CHILD) {
  process.stdout.write(String(gbps));
} else {
  const off = spawnSync(process.execPath, [process.argv[1]], { env: { ...process.env, SHA_SPEED_CHILD: '1', OPENSSL_ia32cap: ':~0x20000000' }, encoding: 'utf8' });
  const without = Number(off.stdout);
  console.log(`SHA-256: ${gbps.toFixed(2)} GB/s (${(1 / gbps).toFixed(2)} ns a byte); SHA extensions masked: ${without.toFixed(2)} GB/s (${(1 / without).toFixed(2)} ns a byte)`);
}
