import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "@/lib/types";
import { EmailAddressResponseSchema } from "@/schemas/email-addresses";
import {
  ConnectedOutlookEmailsResponseSchema,
  ConnectOutlookMailboxResponseSchema,
  DisconnectOutlookMailboxResponseSchema,
  ImportedMessagesResponseSchema,
  MailboxSyncStatusSchema,
  RetryMailboxSyncResponseSchema,
  StartMailboxSyncResponseSchema,
} from "@/schemas/mailboxes";
import { DisconnectOutlookResponseSchema } from "@/schemas/outlook";
import { SharedInboxResponseSchema } from "@/schemas/shared-inboxes";
import { type Lease, lockStub } from "@/services/mailboxes/sync/sync-lock";
import { type CallOptions, call, expectBody, expectError, uniqueOrg } from "./helpers/api";
import {
  ADMIN,
  CapturingQueue,
  connectTenant,
  deliverBatch,
  graphStats,
  type Pending,
  type SeededMessage,
  seedMailbox,
  testEnv,
} from "./helpers/mailbox-harness";

// ---------------------------------------------------------------------------------------------------
// Harness: the Worker with the fake Graph and a capturing queue, whose messages the tests deliver to
// the Worker's queue() handler themselves (so redelivery, throttling and crashes are under control).

function harness(extra: Partial<AppEnv> = {}) {
  const queue = new CapturingQueue();
  const overrides: Partial<AppEnv> = {
    MS_GRAPH_BASE_URL: testEnv.TEST_GRAPH_BASE_URL,
    MAILBOX_SYNC_QUEUE: queue as unknown as Queue,
    ...extra,
  };
  const workerEnv = { ...(env as unknown as AppEnv), ...overrides };
  const api = <T = unknown>(method: string, path: string, options: CallOptions = {}) =>
    call<T>(method, path, { ...options, env: overrides });
  /** Delivers messages as one batch; answers the queue's view (acks, retries). */
  const deliver = (messages: Pending[]) => deliverBatch(workerEnv, messages);
  /** Delivers until the queue is empty; `redeliver` hands every batch over twice (at-least-once delivery). */
  async function drain(options: { redeliver?: boolean } = {}) {
    let retried = 0;
    for (let round = 0; queue.pending.length > 0; round++) {
      if (round > 500) throw new Error("queue does not drain");
      const batch = queue.pending.splice(0, 10);
      const result = await deliver(batch);
      if (options.redeliver) await deliver(batch.map((m) => ({ ...m, attempts: m.attempts + 1 })));
      for (const r of result.retryMessages) {
        const m = batch.find((x) => x.id === r.msgId);
        if (m) queue.pending.push({ ...m, attempts: m.attempts + 1 });
        retried++;
      }
    }
    return { retried };
  }
  return { queue, api, deliver, drain, workerEnv };
}

let counter = 0;
const uniqueMailbox = (name = "shared") => `${name}-${crypto.randomUUID().slice(0, 8)}-${++counter}@contoso.test`;
const uniqueTenant = () => crypto.randomUUID();

async function patchMailbox(email: string, settings: Record<string, unknown>) {
  const response = await fetch(`${ADMIN}/__mailboxes/${encodeURIComponent(email)}`, {
    method: "PATCH",
    body: JSON.stringify(settings),
  });
  expect(response.status).toBe(200);
}

type Api = ReturnType<typeof harness>["api"];

async function connect(api: Api, org: string, email: string, extra: Record<string, unknown> = {}) {
  return expectBody(
    await api("POST", "/v2/outlook/mailbox/connect", { org, body: { email, ...extra } }),
    201,
    ConnectOutlookMailboxResponseSchema,
  );
}

async function status(api: Api, org: string, email: string) {
  return expectBody(
    await api("GET", `/v2/outlook/mailbox/${encodeURIComponent(email)}/sync/status`, { org }),
    200,
    MailboxSyncStatusSchema,
  );
}

async function startSync(api: Api, org: string, email: string, timeframe = "1m") {
  return api("POST", `/v2/outlook/mailbox/${encodeURIComponent(email)}/sync`, { org, body: { timeframe } });
}

async function allMessages(api: Api, org: string, inbox = "default", limit = 100) {
  const messages: { graph_id: string; folder: string; mailbox: string; received_at: string | null }[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const query: string = `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const body = expectBody(
      await api("GET", `/v2/email-settings/shared-inboxes/${inbox}/messages?${query}`, { org }),
      200,
      ImportedMessagesResponseSchema,
    );
    messages.push(...body.messages);
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  return messages;
}

async function importedRows(org: string, email: string) {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM imported_messages WHERE org_id = ? AND mailbox = ?")
    .bind(org, email)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

const inWindow = (messages: SeededMessage[], folder: string) =>
  messages.filter((m) => m.folder === folder && Date.parse(m.receivedDateTime) > Date.now() - 30 * 86_400_000);

// ---------------------------------------------------------------------------------------------------

describe("connectOutlookMailbox / getConnectedOutlookEmails / disconnectOutlookMailbox", () => {
  it("connects a mailbox the tenant can open: the address entity in the inbox and the mapping", async () => {
    const { api } = harness();
    const org = uniqueOrg();
    const tenant = uniqueTenant();
    const email = uniqueMailbox();
    await connectTenant(org, tenant);
    await seedMailbox({ email, tenant });
    const inbox = expectBody(
      await api("POST", "/v2/email-settings/shared-inboxes", { org, body: { name: "Support", color: "#336699" } }),
      201,
      SharedInboxResponseSchema,
    );
    const body = await connect(api, org, email.toUpperCase(), { shared_inbox_id: inbox.id });
    expect(body).toMatchObject({ outlook_email: email, tenant_id: tenant, provider: "outlook" });
    expect(body.email_address).toMatchObject({ address: email, shared_inbox_id: inbox.id, is_active: true });

    const list = expectBody(
      await api("GET", "/v2/outlook/mailbox/mappings", { org }),
      200,
      ConnectedOutlookEmailsResponseSchema,
    );
    expect(list.count).toBe(1);
    expect(list.outlook_emails[0]).toMatchObject({ outlook_email: email, tenant_id: tenant, provider: "outlook" });
    expect(list.outlook_emails[0]?.connected_at).toBeTruthy();

    // Already connected: 409, nothing duplicated.
    expectError(await api("POST", "/v2/outlook/mailbox/connect", { org, body: { email } }), 409, /already connected/);
    const addresses = await api<unknown[]>("GET", "/v2/email-settings/email-addresses", { org });
    expect(addresses.body).toHaveLength(1);
    // Another org sees nothing.
    const other = expectBody(
      await api("GET", "/v2/outlook/mailbox/mappings", { org: uniqueOrg() }),
      200,
      ConnectedOutlookEmailsResponseSchema,
    );
    expect(other).toEqual({ outlook_emails: [], count: 0 });
  });

  it("reuses the org's existing email address entity instead of duplicating it", async () => {
    const { api } = harness();
    const org = uniqueOrg();
    const tenant = uniqueTenant();
    const email = uniqueMailbox();
    await connectTenant(org, tenant);
    await seedMailbox({ email, tenant });
    const existing = expectBody(
      await api("POST", "/v2/email-settings/email-addresses", { org, body: { address: email, name: "Sales" } }),
      201,
      EmailAddressResponseSchema,
    );
    const body = await connect(api, org, email);
    expect(body.email_address.id).toBe(existing.id);
    expect(body.email_address.name).toBe("Sales");
    const addresses = await api<unknown[]>("GET", "/v2/email-settings/email-addresses", { org });
    expect(addresses.body).toHaveLength(1);
  });

  it("refuses bad input, an unknown inbox and an org without a usable connection", async () => {
    const { api } = harness();
    const org = uniqueOrg();
    const email = uniqueMailbox();
    expectError(await api("POST", "/v2/outlook/mailbox/connect", { org, body: { email: "nope" } }), 400, /email/);
    expectError(await api("POST", "/v2/outlook/mailbox/connect", { org, body: {} }), 400, /email/);
    expectError(
      await api("POST", "/v2/outlook/mailbox/connect", { org, body: { email, mailboxSyncTimeframe: "3d" } }),
      400,
      /mailboxSyncTimeframe/,
    );
    expectError(
      await api("POST", "/v2/outlook/mailbox/connect", { org, body: { email, shared_inbox_id: "missing" } }),
      400,
      /shared_inbox_id/,
    );
    expectError(await api("POST", "/v2/outlook/mailbox/connect", { org, body: { email } }), 401, /Microsoft 365/);
  });

  it("answers 403 with what the admin must grant when no tenant can open the mailbox", async () => {
    const { api } = harness();
    const org = uniqueOrg();
    const tenant = uniqueTenant();
    await connectTenant(org, tenant);
    const forbidden = uniqueMailbox();
    await seedMailbox({ email: forbidden, tenant, access: "forbidden" });
    expectError(
      await api("POST", "/v2/outlook/mailbox/connect", { org, body: { email: forbidden } }),
      403,
      /Full Access/,
    );
    const disabled = uniqueMailbox();
    await seedMailbox({ email: disabled, tenant, access: "rest_disabled" });
    expectError(
      await api("POST", "/v2/outlook/mailbox/connect", { org, body: { email: disabled } }),
      403,
      /MailboxNotEnabledForRESTAPI/,
    );
    // A mailbox of a tenant the org did not connect: Graph answers 404 to this tenant's token.
    const foreign = uniqueMailbox();
    await seedMailbox({ email: foreign, tenant: uniqueTenant() });
    expectError(await api("POST", "/v2/outlook/mailbox/connect", { org, body: { email: foreign } }), 403);
    const list = expectBody(
      await api("GET", "/v2/outlook/mailbox/mappings", { org }),
      200,
      ConnectedOutlookEmailsResponseSchema,
    );
    expect(list.count).toBe(0);
  });

  it("tries each connected tenant and maps the mailbox to the one that can open it", async () => {
    const { api } = harness();
    const org = uniqueOrg();
    const first = uniqueTenant();
    const second = uniqueTenant();
    await connectTenant(org, first);
    await connectTenant(org, second);
    const email = uniqueMailbox();
    await seedMailbox({ email, tenant: second });
    const body = await connect(api, org, email);
    expect(body.tenant_id).toBe(second);
  });

  it("disconnects: address entity, mapping and the mailbox's Graph subscriptions go; 404 afterwards", async () => {
    const { api } = harness();
    const org = uniqueOrg();
    const tenant = uniqueTenant();
    const email = uniqueMailbox();
    await connectTenant(org, tenant);
    await seedMailbox({ email, tenant });
    const connected = await connect(api, org, email);
    await fetch(`${ADMIN}/__subscriptions`, {
      method: "POST",
      body: JSON.stringify({ resource: `users/${email}/mailFolders('inbox')/messages` }),
    });
    expect((await graphStats(email)).subscriptions).toHaveLength(1);

    const path = `/v2/outlook/mailbox/${encodeURIComponent(email)}/disconnect`;
    const body = expectBody(await api("POST", path, { org }), 200, DisconnectOutlookMailboxResponseSchema);
    expect(body).toEqual({ success: true, email });
    expect((await graphStats(email)).subscriptions).toHaveLength(0);
    expectError(await api("GET", `/v2/email-settings/email-addresses/${connected.email_address.id}`, { org }), 404);
    const list = expectBody(
      await api("GET", "/v2/outlook/mailbox/mappings", { org }),
      200,
      ConnectedOutlookEmailsResponseSchema,
    );
    expect(list.count).toBe(0);
    expectError(await api("POST", path, { org }), 404, /No Outlook mapping/);
    expectError(await api("POST", "/v2/outlook/mailbox/not-an-email/disconnect", { org }), 400);
  });
});

describe("sync", () => {
  it("imports Inbox and Sent Items of the timeframe through the queue; counters match what Graph holds", async () => {
    const { api, drain } = harness();
    const org = uniqueOrg();
    const tenant = uniqueTenant();
    const email = uniqueMailbox();
    await connectTenant(org, tenant);
    // Pages of 10 (the mailbox caps the page size), so nextLinks are followed; old mail is filtered out.
    const seeded = await seedMailbox({ email, tenant, inbox: 23, sentitems: 17, old: 4, max_page_size: 10 });
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
    expect(await importedRows(org, email)).toBe(40);
  });

  it("20 parallel startMailboxSync calls give exactly one 202", async () => {
    const { api, drain } = harness();
    const org = uniqueOrg();
    const tenant = uniqueTenant();
    const email = uniqueMailbox();
    await connectTenant(org, tenant);
    await seedMailbox({ email, tenant, inbox: 5, sentitems: 5 });
    await connect(api, org, email);
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

  it("redelivered batches create no duplicates and counters stay exact", async () => {
    const { api, drain, deliver, queue } = harness();
    const org = uniqueOrg();
    const tenant = uniqueTenant();
    const email = uniqueMailbox();
    await connectTenant(org, tenant);
    await seedMailbox({ email, tenant, inbox: 12, sentitems: 9, max_page_size: 4 });
    await connect(api, org, email);
    expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
    // Every batch is handed to the consumer twice.
    const firstTasks = [...queue.pending];
    await drain({ redeliver: true });
    const done = await status(api, org, email);
    expect(done.status).toBe("COMPLETED");
    expect(done.inbox?.total_messages).toBe(12);
    expect(done.inbox?.processed_messages).toBe(12);
    expect(done.sent_items?.total_messages).toBe(9);
    expect(await importedRows(org, email)).toBe(21);
    // A redelivered page task finds its page done and stops: no second chain, no extra Graph pages
    // (3 pages of 4 for the Inbox, 3 for Sent Items).
    expect((await graphStats(email)).stats.requests.page).toBe(6);
    // A late redelivery after the end changes nothing either.
    await deliver(firstTasks);
    expect(await importedRows(org, email)).toBe(21);
    // And a new sync of the same mail imports nothing twice.
    expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
    await drain({ redeliver: true });
    expect(await importedRows(org, email)).toBe(21);
    expect((await allMessages(api, org)).length).toBe(21);
  });

  it("Graph throttling (429/503 with Retry-After) delays the work without failing it", async () => {
    const { api, drain, queue } = harness();
    const org = uniqueOrg();
    const tenant = uniqueTenant();
    const email = uniqueMailbox();
    await connectTenant(org, tenant);
    await seedMailbox({ email, tenant, inbox: 8, sentitems: 6, max_page_size: 5 });
    await connect(api, org, email);
    await patchMailbox(email, { throttle: { count: 4, status: 429, retry_after: 7 } });
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

    await patchMailbox(email, { throttle: { count: 2, status: 503, retry_after: 3 } });
    expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
    await drain();
    expect((await status(api, org, email)).status).toBe("COMPLETED");
    expect(queue.delays.filter((d) => d === 3)).toHaveLength(2);
  });

  it("a message failing 3 times is PERMANENTLY_FAILED and retry skips it; retry imports FAILED ones", async () => {
    const { api, drain } = harness();
    const org = uniqueOrg();
    const tenant = uniqueTenant();
    const email = uniqueMailbox();
    await connectTenant(org, tenant);
    const seeded = await seedMailbox({ email, tenant, inbox: 6, sentitems: 4 });
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
    const item = await env.DB.prepare(
      "SELECT status, attempts, last_error FROM mailbox_sync_items WHERE org_id = ? AND mailbox = ? AND graph_id = ?",
    )
      .bind(org, email, broken)
      .first<{ status: string; attempts: number; last_error: string }>();
    expect(item).toMatchObject({ status: "PERMANENTLY_FAILED", attempts: 3 });
    expect(item?.last_error).toMatch(/ErrorCorruptData/);
    expectError(await retry({ sync_id: r2.retry_execution_id, scope: "all_failed" }), 404, /retryable/);
    // Even once Graph can read it, a permanently failed message is not retried.
    await patchMailbox(email, { failing: [] });
    expectError(await retry({ sync_id: r2.retry_execution_id, message_ids: [broken] }), 404);
    expect(await importedRows(org, email)).toBe(9);
  });

  it("disconnect during a sync ends it CANCELLED and nothing more is imported; imported mail stays", async () => {
    const { api, drain, deliver, queue } = harness();
    const org = uniqueOrg();
    const tenant = uniqueTenant();
    const email = uniqueMailbox();
    await connectTenant(org, tenant);
    await seedMailbox({ email, tenant, inbox: 30, sentitems: 10, max_page_size: 5 });
    await connect(api, org, email);
    expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
    // The first page of each folder arrives, then the mailbox is disconnected.
    await deliver(queue.pending.splice(0, 2));
    const before = await importedRows(org, email);
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
    expect(await importedRows(org, email)).toBe(before);
    expect((await status(api, org, email)).status).toBe("CANCELLED");
    expect(await allMessages(api, org)).toHaveLength(before);
  });

  it("an abandoned sync's lease expires by alarm; a stale consumer cannot write after a newer sync", async () => {
    const { api, drain, deliver, queue } = harness();
    const org = uniqueOrg();
    const tenant = uniqueTenant();
    const email = uniqueMailbox();
    await connectTenant(org, tenant);
    await seedMailbox({ email, tenant, inbox: 4, sentitems: 3 });
    await connect(api, org, email);
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
    expect(await importedRows(org, email)).toBe(0);
    await drain();
    const done = await status(api, org, email);
    expect(done).toMatchObject({ execution_id: fresh.execution_id, status: "COMPLETED" });
    expect(await importedRows(org, email)).toBe(7);

    // An expired lease is also taken over by the next start, without the alarm.
    const third = expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
    queue.pending.splice(0);
    await expire();
    const fourth = expectBody(await startSync(api, org, email), 202, StartMailboxSyncResponseSchema);
    expect(fourth.execution_id).not.toBe(third.execution_id);
    await drain();
    expect((await status(api, org, email)).status).toBe("COMPLETED");
  });

  it("refuses an @odata.nextLink outside the configured Graph host: the folder and the sync FAIL", async () => {
    const { api, drain } = harness();
    const org = uniqueOrg();
    const tenant = uniqueTenant();
    const email = uniqueMailbox();
    await connectTenant(org, tenant);
    await seedMailbox({ email, tenant, inbox: 8, sentitems: 2, max_page_size: 5, next_link_host: "evil.example" });
    await connect(api, org, email);
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

describe("listSharedInboxMessages", () => {
  it("validates the inbox, limit and cursor", async () => {
    const { api } = harness();
    const org = uniqueOrg();
    expectError(await api("GET", "/v2/email-settings/shared-inboxes/missing/messages", { org }), 404);
    expectError(await api("GET", "/v2/email-settings/shared-inboxes/default/messages?limit=101", { org }), 400);
    expectError(await api("GET", "/v2/email-settings/shared-inboxes/default/messages?cursor=zzz", { org }), 400);
    const empty = expectBody(
      await api("GET", "/v2/email-settings/shared-inboxes/default/messages", { org }),
      200,
      ImportedMessagesResponseSchema,
    );
    expect(empty).toEqual({ messages: [], next_cursor: null });
  });
});

describe("mailboxes follow tenant disconnects and inbox deletions", () => {
  it("disconnectOutlook removes the tenant's mailboxes and reports their shared inboxes", async () => {
    const { api } = harness();
    const org = uniqueOrg();
    const tenant = uniqueTenant();
    const otherTenant = uniqueTenant();
    const [inSales, inDefault, elsewhere] = [uniqueMailbox("sales"), uniqueMailbox("info"), uniqueMailbox("other")];
    await connectTenant(org, tenant);
    await connectTenant(org, otherTenant);
    await seedMailbox({ email: inSales, tenant });
    await seedMailbox({ email: inDefault, tenant });
    await seedMailbox({ email: elsewhere, tenant: otherTenant });
    const inbox = expectBody(
      await api("POST", "/v2/email-settings/shared-inboxes", { org, body: { name: "Sales", color: "#123" } }),
      201,
      SharedInboxResponseSchema,
    );
    await connect(api, org, inSales, { shared_inbox_id: inbox.id });
    await connect(api, org, inDefault);
    await connect(api, org, elsewhere);

    const body = expectBody(
      await api("POST", "/v2/outlook/connection/disconnect", { org, body: { tenant_id: tenant } }),
      200,
      DisconnectOutlookResponseSchema,
    );
    expect(body.success).toBe(true);
    expect([...body.affected_shared_inboxes].sort()).toEqual([inbox.id, "default"].sort());
    const mappings = expectBody(
      await api("GET", "/v2/outlook/mailbox/mappings", { org }),
      200,
      ConnectedOutlookEmailsResponseSchema,
    );
    expect(mappings.outlook_emails.map((m) => m.outlook_email)).toEqual([elsewhere]);
    expectError(await api("GET", `/v2/email-settings/email-addresses/${encodeURIComponent(inSales)}`, { org }), 404);
    expectError(
      await api("POST", "/v2/outlook/connection/disconnect", { org, body: { tenant_id: tenant } }),
      404,
      /No Microsoft 365 connection/,
    );
  });

  it("deleteSharedInbox moves mailbox mappings and imported mail to the successor", async () => {
    const { api, drain } = harness();
    const org = uniqueOrg();
    const tenant = uniqueTenant();
    const email = uniqueMailbox("support");
    await connectTenant(org, tenant);
    await seedMailbox({ email, tenant, inbox: 3, sentitems: 2 });
    const createInbox = async (name: string) =>
      expectBody(
        await api("POST", "/v2/email-settings/shared-inboxes", { org, body: { name, color: "#abc" } }),
        201,
        SharedInboxResponseSchema,
      );
    const [first, successor] = [await createInbox("First line"), await createInbox("Second line")];
    await connect(api, org, email, { shared_inbox_id: first.id, mailboxSyncTimeframe: "1m" });
    await drain();
    expect(await allMessages(api, org, first.id)).toHaveLength(5);

    const path = `/v2/email-settings/shared-inboxes/${first.id}?successorInboxId=${successor.id}`;
    expect((await api("DELETE", path, { org })).status).toBe(204);
    expect(await allMessages(api, org, successor.id)).toHaveLength(5);
    const mappings = expectBody(
      await api("GET", "/v2/outlook/mailbox/mappings", { org }),
      200,
      ConnectedOutlookEmailsResponseSchema,
    );
    expect(mappings.outlook_emails.map((m) => m.outlook_email)).toEqual([email]);
    const row = await env.DB.prepare("SELECT shared_inbox_id FROM outlook_mailboxes WHERE org_id = ? AND email = ?")
      .bind(org, email)
      .first<{ shared_inbox_id: string }>();
    expect(row?.shared_inbox_id).toBe(successor.id);
    const bucket = await env.DB.prepare(
      "SELECT DISTINCT bucket_id FROM imported_messages WHERE org_id = ? AND mailbox = ?",
    )
      .bind(org, email)
      .all<{ bucket_id: string }>();
    expect(bucket.results.map((r) => r.bucket_id)).toEqual([successor.bucket_id]);
  });
});

describe("the real queue: wrangler.toml's MAILBOX_SYNC_QUEUE and its consumer", () => {
  it("a sync started with the Worker's own bindings is imported by Miniflare's queue consumer", async () => {
    // No overrides and no capturing queue: requests go through the Worker's fetch handler with its
    // bindings (MAILBOX_SYNC_QUEUE from wrangler.toml, MS_GRAPH_BASE_URL at the fake Graph from
    // vitest.config.ts), and Miniflare delivers the queue's batches to the Worker's queue() handler.
    const api = call;
    const org = uniqueOrg();
    const tenant = uniqueTenant();
    const email = uniqueMailbox("realq");
    await connectTenant(org, tenant);
    // Pages of 5, so the consumer also enqueues and later receives the nextLink tasks; old mail is filtered out.
    const seeded = await seedMailbox({ email, tenant, inbox: 9, sentitems: 6, old: 2, max_page_size: 5 });
    await connect(api, org, email);
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
    expect(await importedRows(org, email)).toBe(15);
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

describe("Graph request slots of a mailbox", () => {
  it("the mailbox's Durable Object lets at most 4 Graph requests run at once, whichever isolate asks", async () => {
    const lock = lockStub(env as unknown as AppEnv, uniqueOrg(), uniqueMailbox());
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
