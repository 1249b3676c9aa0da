// Runs an async function over items with bounded concurrency and yields results in input order.
import pLimit from 'p-limit';

export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * At most `concurrency` calls run at once and at most `window` results wait to be consumed,
 * so memory stays flat however many items there are; output order never depends on timing.
 */
export async function* mapOrdered<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>, window = concurrency * 4): AsyncGenerator<Settled<R>> {
  const limit = pLimit(concurrency);
  const pending: Promise<Settled<R>>[] = [];
  let next = 0;
  const launch = () => {
    const i = next++;
    pending.push(
      limit(() => fn(items[i], i)).then(
        (value): Settled<R> => ({ ok: true, value }),
        (error: unknown): Settled<R> => ({ ok: false, error }),
      ),
    );
  };
  try {
    while (next < items.length && pending.length < window) launch();
    while (pending.length > 0) {
      const result = await pending.shift()!;
      if (next < items.length) launch();
      yield result;
    }
  } finally {
    limit.clearQueue(); // a consumer that stopped early (a failed build) starts no more work
  }
}
