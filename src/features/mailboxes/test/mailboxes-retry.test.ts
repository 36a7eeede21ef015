import { expectBody, expectError } from "@test/helpers/api";
import { connectedMailbox } from "@test/helpers/fixtures";
import {
  allMessages,
  connect,
  harness,
  inWindow,
  patchMailbox,
  startSync,
  status,
} from "@test/helpers/mailbox-harness";
import { syncItem } from "@test/helpers/message-store";
import { countMessages } from "@test/helpers/rows";
import { describe, expect, it } from "vitest";
import { RetryMailboxSyncResponseSchema, StartMailboxSyncResponseSchema } from "@/features/mailboxes/mailboxes.schemas";

/** retryMailboxSync: FAILED messages are retried under a new execution, PERMANENTLY_FAILED ones never. */

describe("retryMailboxSync", () => {
  it("a message failing 3 times is PERMANENTLY_FAILED and retry skips it; retry imports FAILED ones", async () => {
    const { api, drain } = harness();
    const {
      org,
      email,
      messages: seeded,
    } = await connectedMailbox(api, { spec: { inbox: 6, sentitems: 4 }, connect: false });
    const broken = inWindow(seeded, "inbox")[1]?.id ?? "";
    const flaky = inWindow(seeded, "sentitems")[2]?.id ?? "";
    await patchMailbox(email, { failing: [broken, flaky] });
    await connect(api, org, email);
    const sync = expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
    await drain();
    const first = await status(api, org, email);
    expect(first.status).toBe("COMPLETED_WITH_ERRORS");
    expect(first.inbox).toMatchObject({ total_messages: 6, processed_messages: 5, failed_messages: 1 });
    expect(first.sent_items).toMatchObject({ total_messages: 4, processed_messages: 3, failed_messages: 1 });

    const retry = (body: Record<string, unknown>) =>
      api("POST", `/v2/outlook/mailbox/${encodeURIComponent(email)}/sync/retry`, { org, body });
    expectError(await retry({ sync_id: "unknown", scope: "all_failed" }), 404);
    expectError(await retry({ sync_id: sync.execution_id }), 400, /scope/);
    expectError(await retry({ sync_id: sync.execution_id, message_ids: ["not-failed"] }), 404, /retryable/);

    // The flaky message recovers; the broken one keeps failing.
    await patchMailbox(email, { failing: [broken] });
    const r1 = expectBody(
      await retry({ sync_id: sync.execution_id, scope: "all_failed" }),
      202,
      RetryMailboxSyncResponseSchema,
    );
    expect(r1.messages_queued).toBe(2);
    await drain();
    const second = await status(api, org, email);
    expect(second.execution_id).toBe(r1.retry_execution_id);
    expect(second.status).toBe("COMPLETED_WITH_ERRORS");
    expect(second.inbox).toMatchObject({ status: "COMPLETED", total_messages: 1, failed_messages: 1 });
    expect(second.sent_items).toMatchObject({ status: "COMPLETED", total_messages: 1, processed_messages: 1 });
    expect((await allMessages(api, org)).map((m) => m.graph_id)).toContain(flaky);

    // Third attempt of the broken message: PERMANENTLY_FAILED.
    const r2 = expectBody(
      await retry({ sync_id: r1.retry_execution_id, message_ids: [broken] }),
      202,
      RetryMailboxSyncResponseSchema,
    );
    expect(r2.messages_queued).toBe(1);
    await drain();
    const item = await syncItem(org, broken);
    expect(item).toMatchObject({ status: "PERMANENTLY_FAILED", attempts: 3 });
    expect(item?.last_error).toMatch(/ErrorCorruptData/);
    expectError(await retry({ sync_id: r2.retry_execution_id, scope: "all_failed" }), 404, /retryable/);
    // Even once Graph can read it, a permanently failed message is not retried.
    await patchMailbox(email, { failing: [] });
    expectError(await retry({ sync_id: r2.retry_execution_id, message_ids: [broken] }), 404);
    expect(await countMessages(org, email)).toBe(9);
  });
});
