// SHA-256 speed of node:crypto (OpenSSL) on this machine, with the CPU's SHA extensions and, in a child
// process, without them (OPENSSL_ia32cap masks them): what whole-shard checks cost per byte. With a C compiler,
// also sha_ni_streams.c: SHA-NI on one stream against two interleaved (would hashing downloads together help?).
// node scripts/bench/sha-speed.mjs
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { buildC } from './build-c.mjs';

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
  let built = false;
  let why = '';
  try {
    built = buildC('sha_ni_streams', { headers: ['sha_ni.h'] });
  } catch (err) {
    why = err.message;
  }
  const r = built ? spawnSync(built, { encoding: 'utf8' }) : undefined;
  const m = r && /one ([\d.]+) two ([\d.]+)/.exec(r.stdout);
  console.log(m ? `SHA-NI in C: one stream ${m[1]} ns a byte; two streams interleaved on one thread ${m[2]} ns a byte of both` : `SHA-NI streams: not measured (${built ? (r?.stderr || 'failed').trim() : why})`);
}
