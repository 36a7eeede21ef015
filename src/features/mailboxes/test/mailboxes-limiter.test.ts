import { describe, expect, it } from "vitest";
import { SlotLimiter } from "@/clients/graph/limiter";

/**
 * The one limiter of Graph requests (per isolate in GraphClient, per mailbox across isolates in the
 * mailbox's Durable Object): at most `limit` slots, waiters served in order, a released slot handed
 * straight to the next waiter, and a slot with a TTL reclaimed when its holder never releases it.
 */
describe("SlotLimiter", () => {
  it("holds at most `limit` slots and hands a released slot to the first waiter, not to a newcomer", async () => {
    const limiter = new SlotLimiter(2);
    const [a, b] = await Promise.all([limiter.acquire(), limiter.acquire()]);
    const order: string[] = [];
    const first = limiter.acquire().then((id) => {
      order.push("first");
      return id;
    });
    const second = limiter.acquire().then((id) => {
      order.push("second");
      return id;
    });
    expect(limiter.inUse).toBe(2);
    expect(limiter.release(a ?? "")).toBe(true);
    // Asked after the release, yet behind the two waiters.
    const newcomer = limiter.acquire().then((id) => {
      order.push("newcomer");
      return id;
    });
    const firstId = await first;
    expect(order).toEqual(["first"]);
    expect(limiter.inUse).toBe(2);
    limiter.release(b ?? "");
    limiter.release(firstId);
    await Promise.all([second, newcomer]);
    expect(order).toEqual(["first", "second", "newcomer"]);
    expect(limiter.inUse).toBe(2);
    expect(limiter.release("not-a-slot")).toBe(false);
  });

  it("runs at most `limit` tasks at once and frees the slot when a task throws", async () => {
    const limiter = new SlotLimiter(3);
    let running = 0;
    let peak = 0;
    const task = async (i: number) => {
      running++;
      peak = Math.max(peak, running);
      await scheduler.wait(1);
      running--;
      if (i % 4 === 0) throw new Error(`task ${i}`);
      return i;
    };
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => limiter.run(() => task(i))));
    expect(peak).toBe(3);
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(5);
    expect(limiter.inUse).toBe(0);
  });

  it("reclaims a slot whose holder never released it once its TTL has passed, and hands it on", async () => {
    const limiter = new SlotLimiter(1, 60_000);
    await limiter.acquire(20); // the holder vanishes
    const waiter = limiter.acquire();
    expect(limiter.inUse).toBe(1);
    const id = await waiter; // granted by the expiry, without any release
    expect(typeof id).toBe("string");
    expect(limiter.inUse).toBe(1);
  });
});
