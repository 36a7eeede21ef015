import { env } from "cloudflare:workers";
import { expectBody } from "@test/helpers/api";
import { patchMailbox, startSync, status } from "@test/helpers/mailbox-harness";
import { addAttachments, mailboxWith, syncAll } from "@test/helpers/message-store";
import { countMessages, importItemRows, messageRow, messageRows } from "@test/helpers/rows";
import { describe, expect, it } from "vitest";
import { RetryMailboxSyncResponseSchema } from "@/features/mailboxes/mailboxes.schemas";

/**
 * D1 bytes per message: once a sync (or retry) has ended, the IMPORTED items of its messages
 * (`mailbox_sync_items`) are deleted in the batch that ends it; its counters are snapshotted, FAILED items
 * stay for retryMailboxSync, and a later sync over the same timeframe still imports nothing twice.
 */

/** The org's import items, wherever its mailboxes keep them (their objects, or D1), by Graph id. */
async function items(org: string) {
  return (await importItemRows(org, "graph_id, status, attempts")) as {
    graph_id: string;
    status: string;
    attempts: number;
  }[];
}

const messageIds = async (org: string) => (await messageRows(org)).map(({ id, graph_id }) => ({ id, graph_id }));

describe("the import state of an ended sync", () => {
  it("keeps only the failures; counters, a second sync of the same window and a retry still hold", async () => {
    const h = await mailboxWith({ inbox: 5, sentitems: 2 });
    const broken = h.messages.find((m) => m.folder === "inbox")?.id ?? "";
    await patchMailbox(h.email, { failing: [broken] });
    await syncAll(h, h.org, h.email);

    const first = await status(h.api, h.org, h.email);
    expect(first.status).toBe("COMPLETED_WITH_ERRORS");
    expect(first.inbox).toMatchObject({ total_messages: 5, processed_messages: 4, failed_messages: 1 });
    expect(first.sent_items).toMatchObject({ total_messages: 2, processed_messages: 2, failed_messages: 0 });
    expect(await items(h.org)).toEqual([{ graph_id: broken, status: "FAILED", attempts: 1 }]);
    const rows = await messageIds(h.org);
    expect(rows).toHaveLength(6);

    // A second sync over the same window: the same rows (no duplicate, no new id), the same counters.
    expect((await startSync(h.api, h.org, h.email, "1m")).status).toBe(202);
    await h.drain({ redeliver: true });
    const second = await status(h.api, h.org, h.email);
    expect(second.execution_id).not.toBe(first.execution_id);
    expect(second.inbox).toMatchObject({ total_messages: 5, processed_messages: 4, failed_messages: 1 });
    expect(await messageIds(h.org)).toEqual(rows);
    expect(await items(h.org)).toEqual([{ graph_id: broken, status: "FAILED", attempts: 2 }]);

    // The failure is still retryable from the execution that holds it; once imported, no item is left.
    await patchMailbox(h.email, { failing: [] });
    const retry = await h.api("POST", `/v2/outlook/mailbox/${encodeURIComponent(h.email)}/sync/retry`, {
      org: h.org,
      body: { sync_id: second.execution_id, scope: "all_failed" },
    });
    expect(expectBody(retry, 202, RetryMailboxSyncResponseSchema).messages_queued).toBe(1);
    await h.drain();
    const retried = await status(h.api, h.org, h.email);
    expect(retried.status).toBe("COMPLETED");
    expect(retried.inbox).toMatchObject({ total_messages: 1, processed_messages: 1, failed_messages: 0 });
    expect(await items(h.org)).toEqual([]);
    expect(await countMessages(h.org, h.email)).toBe(7);
  });

  it("a message imported before stays imported when a later sync cannot store it again", async () => {
    const h = await mailboxWith({ inbox: 2 });
    await syncAll(h, h.org, h.email);
    const [kept] = h.messages;
    const before = await messageRow(h.org, kept?.id ?? "");
    expect(before).not.toBeNull();
    // The message now has an attachment Graph cannot serve: the new sync's attempt to store it fails.
    await addAttachments(h.email, kept?.id ?? "", [{ name: "broken.pdf", size: 4000, corrupt: "error" }]);
    expect((await startSync(h.api, h.org, h.email, "1m")).status).toBe(202);
    await h.drain();

    const done = await status(h.api, h.org, h.email);
    expect(done.status).toBe("COMPLETED");
    expect(done.inbox).toMatchObject({ total_messages: 2, processed_messages: 2, failed_messages: 0 });
    expect(await messageRow(h.org, kept?.id ?? "")).toEqual(before);
    expect(await items(h.org)).toEqual([]);
  });

  it("migration 0012 removes the IMPORTED items of ended executions only; everything else survives", async () => {
    const org = `mig-${crypto.randomUUID()}`;
    const now = new Date().toISOString();
    const execution = (id: string, status: string, counters: string | null) =>
      env.DB.prepare(
        `INSERT INTO mailbox_sync_executions (id, org_id, mailbox, kind, timeframe, status, fencing_token, window_start,
           inbox_status, sent_items_status, inbox_counters, sent_items_counters, started_at, updated_at)
         VALUES (?1, ?2, 'm@contoso.test', 'sync', '1m', ?3, 1, ?4, 'COMPLETED', 'COMPLETED', ?5, ?5, ?4, ?4)`,
      ).bind(id, org, status, now, counters);
    const item = (graphId: string, executionId: string, status: string) =>
      env.DB.prepare(
        `INSERT INTO mailbox_sync_items (org_id, mailbox, graph_id, execution_id, folder, status, attempts, updated_at)
         VALUES (?1, 'm@contoso.test', ?2, ?3, 'inbox', ?4, 0, ?5)`,
      ).bind(org, graphId, executionId, status, now);
    const counters = JSON.stringify({ total_messages: 2, processed_messages: 1, failed_messages: 1 });
    await env.DB.batch([
      execution("ended", "COMPLETED_WITH_ERRORS", counters),
      execution("running", "RUNNING", null),
      execution("old", "COMPLETED", null),
      item("a", "ended", "IMPORTED"),
      item("b", "ended", "FAILED"),
      item("c", "ended", "PERMANENTLY_FAILED"),
      item("d", "running", "IMPORTED"),
      item("e", "running", "PENDING"),
      item("f", "old", "IMPORTED"),
    ]);
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0012_"));
    expect(migration).toBeDefined();
    for (const query of migration?.queries ?? []) await env.DB.prepare(query).run();
    expect((await items(org)).map((i) => `${i.graph_id}:${i.status}`)).toEqual([
      "b:FAILED",
      "c:PERMANENTLY_FAILED",
      "d:IMPORTED",
      "e:PENDING",
      "f:IMPORTED",
    ]);
  });
});
