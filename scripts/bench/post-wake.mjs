// Microbenchmark: what a worker thread's postMessage costs when the receiving thread is busy vs asleep.
// On this 2-core VM a post after a 1 ms gap (the main thread asleep in epoll) costs the SENDER 0.2-0.55 ms,
// the wake-up; back-to-back posts cost ~3 us. Why the build's decoder threads answer several files per
// message (packages/shard-writer/src/decode-pool.ts). Run: node scripts/bench/post-wake.mjs
import { Worker, isMainThread, parentPort } from 'node:worker_threads';

if (isMainThread) {
  const w = new Worker(new URL(import.meta.url));
  w.on('message', (m) => {
    if (m.done) {
      console.log(m.done);
      void w.terminate();
    }
  });
} else {
  const out = [];
  for (const gap of [0, 0.2, 1, 0, 1]) {
    let total = 0;
    for (let i = 0; i < 300; i++) {
      const until = performance.now() + gap;
      while (performance.now() < until); // busy: the receiver has nothing to do and sleeps
      const t = performance.now();
      parentPort.postMessage({ id: i, ok: true });
      total += performance.now() - t;
    }
    out.push(`gap ${gap} ms between posts: ${((total / 300) * 1000).toFixed(1)} us per post`);
  }
  parentPort.postMessage({ done: out.join('\n') });
}
