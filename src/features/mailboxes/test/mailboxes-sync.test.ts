import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { connectedMailbox } from "@test/helpers/fixtures";
import { allMessages, connect, graphStats, harness, inWindow, startSync, status } from "@test/helpers/mailbox-harness";
import { countMessages } from "@test/helpers/rows";
import { describe, expect, it } from "vitest";
import { StartMailboxSyncResponseSchema } from "@/features/mailboxes/mailboxes.schemas";

/**
 * startMailboxSync and getMailboxSyncStatus: what a sync imports, its counters, the one-sync-at-a-time
 * lock, the refused foreign nextLink, and the same import through wrangler.toml's real queue.
 */

describe("startMailboxSync / getMailboxSyncStatus", () => {
  it("imports Inbox and Sent Items of the timeframe through the queue; counters match what Graph holds", async () => {
    const { api, drain } = harness();
    // Pages of 10 (the mailbox caps the page size), so nextLinks are followed; old mail is filtered out.
    const {
      org,
      email,
      messages: seeded,
    } = await connectedMailbox(api, { spec: { inbox: 23, sentitems: 17, old: 4, max_page_size: 10 }, connect: false });
    expectError(await api("GET", `/v2/outlook/mailbox/${encodeURIComponent(email)}/sync/status`, { org }), 404);
    expectError(await startSync(api, uniqueOrg(), email), 404);
    expectError(await startSync(api, org, email, "1y"), 400, /timeframe/);

    // Connecting with a timeframe starts the sync.
    await connect(api, org, email, { mailboxSyncTimeframe: "1m" });
    const running = await status(api, org, email);
    expect(running.status).toBe("RUNNING");
    expect(running.timeframe).toBe("1m");
    await drain();

    const done = await status(api, org, email);
    expect(done.status).toBe("COMPLETED");
    expect(done.completed_at).toBeTruthy();
    expect(done.inbox).toEqual({ status: "COMPLETED", total_messages: 23, processed_messages: 23, failed_messages: 0 });
    expect(done.sent_items).toEqual({
      status: "COMPLETED",
      total_messages: 17,
      processed_messages: 17,
      failed_messages: 0,
    });

    const messages = await allMessages(api, org, "default", 15);
    expect(messages).toHaveLength(40);
    const expectedIds = [...inWindow(seeded, "inbox"), ...inWindow(seeded, "sentitems")].map((m) => m.id).sort();
    expect(messages.map((m) => m.graph_id).sort()).toEqual(expectedIds);
    // Newest first.
    const times = messages.map((m) => m.received_at ?? "");
    expect([...times].sort().reverse()).toEqual(times);

    const { stats } = await graphStats(email);
    expect(stats.withoutImmutableId).toBe(0);
    expect(stats.maxInFlight).toBeLessThanOrEqual(4);
    expect(stats.requests.page).toBe(3 + 2);

    // The lock was released: another sync may start.
    expectBody(await startSync(api, org, email, "5m"), 202, StartMailboxSyncResponseSchema);
    await drain();
    expect((await status(api, org, email)).status).toBe("COMPLETED");
    expect(await countMessages(org, email)).toBe(40);
  });

  it("20 parallel startMailboxSync calls give exactly one 202", async () => {
    const { api, drain } = harness();
    const { org, email } = await connectedMailbox(api, { spec: { inbox: 5, sentitems: 5 } });
    const responses = await Promise.all(Array.from({ length: 20 }, () => startSync(api, org, email, "1w")));
    const accepted = responses.filter((r) => r.status === 202);
    expect(accepted).toHaveLength(1);
    const started = expectBody(
      accepted[0] ?? { status: 0, body: null, headers: new Headers() },
      202,
      StartMailboxSyncResponseSchema,
    );
    expect(started).toMatchObject({ status: "RUNNING", timeframe: "1w" });
    for (const r of responses.filter((x) => x.status !== 202)) expectError(r, 409, /running/);
    await drain();
    const done = await status(api, org, email);
    expect(done.execution_id).toBe(started.execution_id);
    expect(done.status).toBe("COMPLETED");
  });

  it("refuses an @odata.nextLink outside the configured Graph host: the folder and the sync FAIL", async () => {
    const { api, drain } = harness();
    const { org, email } = await connectedMailbox(api, {
      spec: { inbox: 8, sentitems: 2, max_page_size: 5, next_link_host: "evil.example" },
    });
    expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
    await drain();
    const done = await status(api, org, email);
    expect(done.status).toBe("FAILED");
    expect(done.inbox?.status).toBe("FAILED");
    // The page that carried the foreign link was imported; the link was not followed.
    expect(done.inbox?.processed_messages).toBe(5);
    expect(done.sent_items?.status).toBe("COMPLETED");
  });
});

describe("the real queue: wrangler.toml's MAILBOX_SYNC_QUEUE and its consumer", () => {
  it("a sync started with the Worker's own bindings is imported by Miniflare's queue consumer", async () => {
    // No overrides and no capturing queue: requests go through the Worker's fetch handler with its
    // bindings (MAILBOX_SYNC_QUEUE from wrangler.toml, MS_GRAPH_BASE_URL at the fake Graph from
    // vitest.config.ts), and Miniflare delivers the queue's batches to the Worker's queue() handler.
    const api = call;
    // Pages of 5, so the consumer also enqueues and later receives the nextLink tasks; old mail is filtered out.
    const {
      org,
      email,
      messages: seeded,
    } = await connectedMailbox(api, { name: "realq", spec: { inbox: 9, sentitems: 6, old: 2, max_page_size: 5 } });
    const started = expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);

    let current = await status(api, org, email);
    for (let i = 0; i < 300 && current.status === "RUNNING"; i++) {
      await scheduler.wait(50);
      current = await status(api, org, email);
    }
    expect(current).toMatchObject({
      execution_id: started.execution_id,
      status: "COMPLETED",
      inbox: { status: "COMPLETED", total_messages: 9, processed_messages: 9, failed_messages: 0 },
      sent_items: { status: "COMPLETED", total_messages: 6, processed_messages: 6, failed_messages: 0 },
    });
    expect(current.completed_at).toBeTruthy();
    expect(await countMessages(org, email)).toBe(15);
    const imported = await allMessages(api, org);
    const expected = [...inWindow(seeded, "inbox"), ...inWindow(seeded, "sentitems")].map((m) => m.id);
    expect(imported.map((m) => m.graph_id).sort()).toEqual(expected.sort());
    expect(imported.every((m) => m.mailbox === email)).toBe(true);
    const { stats } = await graphStats(email);
    // Two pages per folder (9 = 5 + 4, 6 = 5 + 1), all with immutable ids; the lock was released.
    expect(stats.requests.page).toBe(4);
    expect(stats.withoutImmutableId).toBe(0);
    expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
  });
});
