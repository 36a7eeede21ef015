import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { connectedMailbox } from "@test/helpers/fixtures";
import {
  allMessages,
  graphStats,
  harness,
  patchMailbox,
  startSync,
  status,
  uniqueMailbox,
} from "@test/helpers/mailbox-harness";
import { countMessages } from "@test/helpers/rows";
import { describe, expect, it } from "vitest";
import { servicesFor } from "@/entry/services";
import {
  DisconnectOutlookMailboxResponseSchema,
  StartMailboxSyncResponseSchema,
} from "@/features/mailboxes/mailboxes.schemas";
import { lockStub } from "@/features/mailboxes/sync/lock-stub";
import type { Lease } from "@/features/mailboxes/sync/sync-lock";
import type { AppEnv } from "@/lib/types";

/**
 * The queue consumer and the mailbox's lock under at-least-once delivery: redelivered batches, Graph
 * throttling, a disconnect during a sync, an abandoned lease, stale consumers, and the Graph request
 * slots the lock holds for every isolate.
 */

describe("the queue consumer", () => {
  it("redelivered batches create no duplicates and counters stay exact", async () => {
    const { api, drain, deliver, queue } = harness();
    const { org, email } = await connectedMailbox(api, { spec: { inbox: 12, sentitems: 9, max_page_size: 4 } });
    expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
    // Every batch is handed to the consumer twice.
    const firstTasks = [...queue.pending];
    await drain({ redeliver: true });
    const done = await status(api, org, email);
    expect(done.status).toBe("COMPLETED");
    expect(done.inbox?.total_messages).toBe(12);
    expect(done.inbox?.processed_messages).toBe(12);
    expect(done.sent_items?.total_messages).toBe(9);
    expect(await countMessages(org, email)).toBe(21);
    // A redelivered page task finds its page done and stops: no second chain, no extra Graph pages
    // (3 pages of 4 for the Inbox, 3 for Sent Items).
    expect((await graphStats(email)).stats.requests.page).toBe(6);
    // A late redelivery after the end changes nothing either.
    await deliver(firstTasks);
    expect(await countMessages(org, email)).toBe(21);
    // And a new sync of the same mail imports nothing twice.
    expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
    await drain({ redeliver: true });
    expect(await countMessages(org, email)).toBe(21);
    expect((await allMessages(api, org)).length).toBe(21);
  });

  it("Graph throttling (429/503 with Retry-After) delays the work without failing it", async () => {
    const { api, drain, queue } = harness();
    const { org, email } = await connectedMailbox(api, { spec: { inbox: 8, sentitems: 6, max_page_size: 5 } });
    // Only the import's page requests: the mailbox's live delta runs (started by connect, sent through the
    // real queue) must not take a throttled answer meant for the import.
    await patchMailbox(email, { throttle: { count: 4, status: 429, retry_after: 7, kinds: ["page"] } });
    expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
    const { retried } = await drain();
    const done = await status(api, org, email);
    expect(done.status).toBe("COMPLETED");
    expect(done.inbox?.processed_messages).toBe(8);
    expect(done.sent_items?.processed_messages).toBe(6);
    expect((await graphStats(email)).stats.throttled).toBe(4);
    // Re-sent with Graph's delay; not a failed attempt (no queue retry).
    expect(queue.delays.filter((d) => d === 7)).toHaveLength(4);
    expect(retried).toBe(0);

    await patchMailbox(email, { throttle: { count: 2, status: 503, retry_after: 3, kinds: ["page"] } });
    expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
    await drain();
    expect((await status(api, org, email)).status).toBe("COMPLETED");
    expect(queue.delays.filter((d) => d === 3)).toHaveLength(2);
  });

  it("disconnect during a sync ends it CANCELLED and nothing more is imported; imported mail stays", async () => {
    const { api, drain, deliver, queue } = harness();
    const { org, email } = await connectedMailbox(api, { spec: { inbox: 30, sentitems: 10, max_page_size: 5 } });
    expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
    // The first page of each folder arrives, then the mailbox is disconnected.
    await deliver(queue.pending.splice(0, 2));
    const before = await countMessages(org, email);
    expect(before).toBe(10);
    expectBody(
      await api("POST", `/v2/outlook/mailbox/${encodeURIComponent(email)}/disconnect`, { org }),
      200,
      DisconnectOutlookMailboxResponseSchema,
    );
    const cancelled = await status(api, org, email);
    expect(cancelled.status).toBe("CANCELLED");
    expect(cancelled.completed_at).toBeTruthy();
    expect(queue.pending.length).toBeGreaterThan(0);
    await drain();
    expect(await countMessages(org, email)).toBe(before);
    expect((await status(api, org, email)).status).toBe("CANCELLED");
    expect(await allMessages(api, org)).toHaveLength(before);
  });
});

describe("the mailbox's sync lock (Durable Object)", () => {
  it("an abandoned sync's lease expires by alarm; a stale consumer cannot write after a newer sync", async () => {
    const { api, drain, deliver, queue } = harness();
    const { org, email } = await connectedMailbox(api, { spec: { inbox: 4, sentitems: 3 } });
    const abandoned = expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
    const staleTasks = queue.pending.splice(0); // the run crashes: its tasks are never processed
    expectError(await startSync(api, org, email), 409);

    const ns = env.MAILBOX_SYNC_LOCK;
    const stub = ns.get(ns.idFromName(JSON.stringify([org, email])));
    const expire = () =>
      runInDurableObject(stub, async (_instance, state) => {
        const lease = await state.storage.get<Lease>("lease");
        if (lease) await state.storage.put("lease", { ...lease, expiresAt: Date.now() - 1 });
      });
    await expire();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const failed = await status(api, org, email);
    expect(failed).toMatchObject({ execution_id: abandoned.execution_id, status: "FAILED" });
    expect(failed.completed_at).toBeTruthy();

    // A new sync gets a larger fencing token; the abandoned run's tasks write nothing.
    const fresh = expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
    await deliver(staleTasks);
    expect(await countMessages(org, email)).toBe(0);
    await drain();
    const done = await status(api, org, email);
    expect(done).toMatchObject({ execution_id: fresh.execution_id, status: "COMPLETED" });
    expect(await countMessages(org, email)).toBe(7);

    // An expired lease is also taken over by the next start, without the alarm.
    const third = expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
    queue.pending.splice(0);
    await expire();
    const fourth = expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
    expect(fourth.execution_id).not.toBe(third.execution_id);
    await drain();
    expect((await status(api, org, email)).status).toBe("COMPLETED");
  });

  it("starts racing for an expired lease: exactly one is granted, the abandoned execution ends FAILED", async () => {
    const { api, queue } = harness();
    const { org, email } = await connectedMailbox(api, { spec: { inbox: 2, sentitems: 1 } });
    const abandoned = expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
    queue.pending.splice(0); // the run crashes
    const stub = env.MAILBOX_SYNC_LOCK.get(env.MAILBOX_SYNC_LOCK.idFromName(JSON.stringify([org, email])));
    await runInDurableObject(stub, async (_instance, state) => {
      const lease = await state.storage.get<Lease>("lease");
      if (lease) await state.storage.put("lease", { ...lease, expiresAt: Date.now() - 1 });
    });

    // Taking over the expired lease ends its execution (a D1 write) while the other starts arrive.
    const responses = await Promise.all(Array.from({ length: 6 }, () => startSync(api, org, email)));
    const granted = responses.filter((r) => r.status === 202);
    expect(granted).toHaveLength(1);
    const winner = expectBody(
      granted[0] ?? { status: 0, body: null, headers: new Headers() },
      202,
      StartMailboxSyncResponseSchema,
    );
    for (const r of responses.filter((x) => x.status !== 202)) expectError(r, 409, /running/);
    const lock = lockStub(servicesFor(env as unknown as AppEnv), org, email);
    expect((await lock.inspect()).lease).toMatchObject({ executionId: winner.execution_id, token: 2 });
    const ended = await env.DB.prepare("SELECT status, error FROM mailbox_sync_executions WHERE org_id = ? AND id = ?")
      .bind(org, abandoned.execution_id)
      .first<{ status: string; error: string }>();
    expect(ended?.status).toBe("FAILED");
    expect(ended?.error).toMatch(/abandoned/);
  });

  it("the mailbox's Durable Object lets at most 4 Graph requests run at once, whichever isolate asks", async () => {
    const lock = lockStub(servicesFor(env as unknown as AppEnv), uniqueOrg(), uniqueMailbox());
    const held = await Promise.all([1, 2, 3, 4].map(() => lock.acquireGraphSlot()));
    expect(new Set(held).size).toBe(4);

    let fifth: string | undefined;
    const waiting = lock.acquireGraphSlot().then((id) => {
      fifth = id;
    });
    // Calls on one stub arrive in order: when this answers, the fifth acquire is already waiting.
    expect(await lock.graphSlotsInUse()).toBe(4);
    expect(fifth).toBeUndefined();

    await lock.releaseGraphSlot(held[0] ?? "");
    await waiting;
    expect(fifth).toBeDefined();
    expect(await lock.graphSlotsInUse()).toBe(4);

    // A slot whose holder vanished without releasing it is reclaimed once its TTL has passed.
    for (const id of [...held.slice(1), fifth ?? ""]) await lock.releaseGraphSlot(id);
    await lock.acquireGraphSlot(0);
    const again = await Promise.all([1, 2, 3, 4].map(() => lock.acquireGraphSlot()));
    expect(new Set(again).size).toBe(4);
    expect(await lock.graphSlotsInUse()).toBe(4);
  });
});
