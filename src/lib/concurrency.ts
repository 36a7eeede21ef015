/**
 * Bounded concurrency for the batches one invocation works through (R2 and D1 calls, Graph requests,
 * webhook sends): enough in flight to overlap their latency, few enough to stay within the runtime's
 * simultaneous-subrequest limit and the other side's rate limits.
 */

/**
 * Runs `fn` over `items` with at most `limit` in flight (below 1 counts as 1), starting them in item
 * order. After an `fn` rejects no further item starts, and the returned promise rejects with that first
 * error only once the ones in flight have settled, so none is still running when the caller handles it.
 * Callers that want one item's failure not to stop the rest catch it inside `fn`.
 */
export async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length && errors.length === 0) {
      const index = next++;
      try {
        await fn(items[index] as T, index);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  // `limit >= 1` is false for NaN too, which must not mean "no workers" (nothing would ever run).
  const workers = Math.min(limit >= 1 ? Math.floor(limit) : 1, items.length);
  await Promise.all(Array.from({ length: workers }, worker));
  if (errors.length > 0) throw errors[0];
}
