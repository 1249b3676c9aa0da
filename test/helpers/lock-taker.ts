// Child process for the lock race test: on "take" it spins until a shared instant, takes the build lock, holds it until "release".
import { acquireLock, type BuildLock } from '../../packages/shard-writer/src/lock.js';

let held: BuildLock | undefined;
process.on('message', (m: { op: 'take'; dir: string; at: number } | { op: 'release' } | { op: 'exit' }) => {
  if (m.op === 'exit') process.exit(0);
  if (m.op === 'release') {
    held?.release();
    held = undefined;
    process.send!({ released: true });
    return;
  }
  // Busy-wait to the same wall-clock instant as the rival: sub-millisecond alignment, unlike a timer.
  while (performance.timeOrigin + performance.now() < m.at);
  try {
    held = acquireLock(m.dir);
    process.send!({ ok: true });
  } catch (err) {
    process.send!({ ok: false, message: (err as Error).message });
  }
});
process.send!({ ready: true });
