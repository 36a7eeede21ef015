import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { QUEUES } from "@/entry/queue-table";
import worker from "@/index";
import type { AppEnv } from "@/lib/types";

/**
 * The queue entry: every queue wrangler.toml consumes has a consumer; a batch from any other queue is an
 * error (nothing acknowledged, so nothing is lost), never handed to another queue's consumer.
 */

describe("the queue entry", () => {
  it("refuses a batch of an unknown queue and acknowledges none of its messages", async () => {
    const batch = createMessageBatch("mailbox-sync-typo", [
      { id: "m1", timestamp: new Date(), attempts: 1, body: { kind: "purge", orgId: "o", mailbox: "x@y.test" } },
    ]);
    const ctx = createExecutionContext();
    await expect(worker.queue?.(batch as never, env as unknown as AppEnv)).rejects.toThrow(
      /No consumer for queue mailbox-sync-typo/,
    );
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([]);
    expect(result.ackAll).toBe(false);
  });

  it("knows the four queues of wrangler.toml, each dead-letter queue with a consumer of its own", () => {
    expect(Object.keys(QUEUES).sort()).toEqual([
      "mailbox-sync",
      "mailbox-sync-dlq",
      "webhook-deliveries",
      "webhook-deliveries-dlq",
    ]);
    for (const policy of Object.values(QUEUES)) {
      if ("deadLetterQueue" in policy) expect(Object.keys(QUEUES)).toContain(policy.deadLetterQueue);
    }
  });
});
