// Cross-process locks for the shared cache folder (proper-lockfile), plus an in-process queue in front.
import lockfile from 'proper-lockfile';

/** A lock not taken because another holder has it. */
export const HELD = Symbol('held');

export interface FileLock {
  /** Takes the lock, waiting for other processes; resolves to its release. */
  acquire(): Promise<() => Promise<void>>;
  /** Takes the lock only if it is free; HELD otherwise. */
  tryAcquire(): Promise<(() => Promise<void>) | typeof HELD>;
}

/**
 * A lock on `target` (the file need not exist). A holder that dies leaves a lock that goes stale after
 * `staleMs` without the holder refreshing it. If a holder's event loop stalls past that, another process may
 * take the lock; that is reported through `onCompromised` rather than thrown from a timer (which would kill a
 * training): what the locks guard stays safe then (downloads land by atomic rename, bounds are rechecked).
 */
export function fileLock(target: string, onCompromised: (err: Error) => void, staleMs = 30_000): FileLock {
  let queue: Promise<unknown> = Promise.resolve();
  const options = { realpath: false, stale: staleMs, update: Math.floor(staleMs / 3), onCompromised };
  return {
    acquire() {
      // One in-process waiter at a time polls the file lock; the others wait their turn here.
      const next = queue.then(async () => {
        for (let delay = 2; ; delay = Math.min(100, delay * 2)) {
          try {
            return await lockfile.lock(target, options);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
            await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
          }
        }
      });
      let release!: () => void;
      const done = new Promise<void>((r) => (release = r));
      queue = next.then(() => done, () => undefined);
      return next.then(
        (unlock) => async () => {
          try {
            await unlock();
          } finally {
            release();
          }
        },
        (err) => {
          release();
          throw err;
        },
      );
    },
    async tryAcquire() {
      try {
        return await lockfile.lock(target, options);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ELOCKED') return HELD;
        throw err;
      }
    },
  };
}
