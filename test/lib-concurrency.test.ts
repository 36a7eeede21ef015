import { describe, expect, it } from "vitest";
import { forEachConcurrently } from "@/lib/concurrency";

/** A promise the test settles by hand, so it decides which items finish when. */
function deferred() {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending callback run (the pool starts the next item a few microtasks after one settles). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Runs the pool over `count` items, each waiting a few ticks, and records what a caller could observe. */
async function run(count: number, limit: number) {
  const items = Array.from({ length: count }, (_, i) => `item-${i}`);
  const started: string[] = [];
  const indexes: number[] = [];
  let inFlight = 0;
  let peak = 0;
  await forEachConcurrently(items, limit, async (item, index) => {
    started.push(item);
    indexes.push(index);
    inFlight++;
    peak = Math.max(peak, inFlight);
    // Items take different times, so they finish out of order.
    for (let tick = 0; tick < (index % 3) + 1; tick++) await settle();
    inFlight--;
  });
  return { items, started, indexes, peak, inFlight };
}

describe("forEachConcurrently", () => {
  it("never has more than `limit` items in flight, and reaches it", async () => {
    const { peak, inFlight } = await run(20, 4);
    expect(peak).toBe(4);
    expect(inFlight).toBe(0);
  });

  it("processes every item exactly once, starting them in item order with their index", async () => {
    const { items, started, indexes } = await run(20, 3);
    expect(started).toEqual(items);
    expect(indexes).toEqual(items.map((_, i) => i));
  });

  it("runs all items at once when the limit is larger than the list", async () => {
    const { items, started, peak } = await run(3, 10);
    expect(started).toEqual(items);
    expect(peak).toBe(3);
  });

  it.each([0, -2, Number.NaN])("treats a limit of %s as 1 (one at a time, still every item)", async (limit) => {
    const { items, started, peak } = await run(5, limit);
    expect(started).toEqual(items);
    expect(peak).toBe(1);
  });

  it("resolves at once for no items without calling fn", async () => {
    let calls = 0;
    await expect(
      forEachConcurrently([], 4, async () => {
        calls++;
      }),
    ).resolves.toBeUndefined();
    expect(calls).toBe(0);
  });

  it("starts the next item as soon as one finishes, not when a whole group does", async () => {
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const done = forEachConcurrently([0, 1, 2], 2, async (item) => {
      started.push(item);
      await gates[item]?.promise;
    });
    await settle();
    expect(started).toEqual([0, 1]);
    gates[1]?.resolve();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    gates[0]?.resolve();
    gates[2]?.resolve();
    await done;
  });

  it("on a rejection starts no further item and rejects with that error once the ones in flight settle", async () => {
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const finished: number[] = [];
    let outcome: unknown = "pending";
    const done = forEachConcurrently([0, 1, 2, 3], 2, async (item) => {
      started.push(item);
      await gates[item]?.promise;
      finished.push(item);
    }).then(
      () => {
        outcome = "resolved";
      },
      (err) => {
        outcome = err;
      },
    );
    await settle();
    const failure = new Error("item 0 failed");
    gates[0]?.reject(failure);
    await settle();
    // Item 1 is still running: the caller is not told yet, and items 2 and 3 never start.
    expect(outcome).toBe("pending");
    gates[1]?.resolve();
    await done;
    expect(outcome).toBe(failure);
    expect(started).toEqual([0, 1]);
    expect(finished).toEqual([1]);
  });

  it("rejects with the first error when several items in flight fail", async () => {
    const gates = [deferred(), deferred()];
    const done = forEachConcurrently([0, 1], 2, async (item) => {
      await gates[item]?.promise;
    });
    const first = new Error("first");
    gates[1]?.reject(first);
    await settle();
    gates[0]?.reject(new Error("second"));
    await expect(done).rejects.toBe(first);
  });

  it("counts an fn that throws before its first await as a rejection", async () => {
    const started: number[] = [];
    const failure = new Error("thrown synchronously");
    const fn = (item: number) => {
      started.push(item);
      if (item === 1) throw failure;
      return Promise.resolve();
    };
    await expect(forEachConcurrently([0, 1, 2, 3], 1, fn)).rejects.toBe(failure);
    expect(started).toEqual([0, 1]);
  });
});
