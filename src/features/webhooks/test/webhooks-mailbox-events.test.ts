import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { connectedMailbox } from "@test/helpers/fixtures";
import { listedIds, liveApi, liveStatus, waitFor } from "@test/helpers/live-harness";
import {
  type Api,
  addGraphMessage,
  connect,
  connectTenant,
  controlDelta,
  harness,
  inWindow,
  startSync,
  status,
  updateGraphMessage,
} from "@test/helpers/mailbox-harness";
import { messageRow, messageRows } from "@test/helpers/rows";
import { received, rows, type WebhookHarness, webhookHarness } from "@test/helpers/webhook-harness";
import { expectVerified } from "@test/helpers/webhook-verify";
import { describe, expect, it } from "vitest";
import worker from "@/index";
import type { AppEnv } from "@/lib/types";

/**
 * The mailbox and message events (README "Webhooks"), each written in the batch of the change it
 * reports: mailbox.connected / .disconnected, mailbox.sync.completed / .failed once per execution,
 * message.received once per new inbox message (never for a redelivered import page or a replayed delta
 * change), mailbox.live.degraded / .recovered once per transition; nothing for an org without endpoints,
 * nothing across orgs. Every delivery is verified with the standardwebhooks package.
 */

type Payload = { type: string; timestamp: string; data: Record<string, unknown> };

async function payloads(name: string, secret: string): Promise<Payload[]> {
  return (await received(name)).map((request) => expectVerified(secret, request) as Payload);
}

/** The mailbox harness (fake Graph, capturing sync queue) with the webhook harness's queue and vars. */
function both() {
  const hooks = webhookHarness();
  const mail = harness(hooks.overrides);
  return { hooks, mail };
}

/** A mailbox with mail in both folders and pages of 4, its tenant connected; the tests connect it (webhooks first). */
const seeded = (api: Api) =>
  connectedMailbox(api, { name: "mev", spec: { inbox: 6, sentitems: 3, max_page_size: 4 }, connect: false });

const eventRows = (org: string, type?: string) =>
  rows<{ id: string; type: string; payload: string }>(
    `SELECT id, type, payload FROM webhook_events WHERE org_id = ? ${type ? "AND type = ?" : ""} ORDER BY rowid`,
    ...(type ? [org, type] : [org]),
  );

const disconnectPath = (email: string) => `/v2/outlook/mailbox/${encodeURIComponent(email)}/disconnect`;

describe("mailbox.connected / mailbox.disconnected", () => {
  it("each is delivered once, signed, with the mailbox, tenant and inbox", async () => {
    const { hooks, mail } = both();
    const { org, tenant, email } = await seeded(mail.api);
    const hook = await hooks.createWebhook(org, { event_types: ["mailbox.connected", "mailbox.disconnected"] });
    await connect(mail.api, org, email);
    // A second connect is refused (409): its batch never commits, so no second event.
    expect((await mail.api("POST", "/v2/outlook/mailbox/connect", { org, body: { email } })).status).toBe(409);
    expect((await mail.api("POST", disconnectPath(email), { org })).status).toBe(200);
    expect((await mail.api("POST", disconnectPath(email), { org })).status).toBe(404);
    await hooks.drain();
    expect(await payloads(hook.name, hook.secret)).toEqual([
      {
        type: "mailbox.connected",
        timestamp: expect.any(String),
        data: { mailbox: email, tenant_id: tenant, shared_inbox_id: "default" },
      },
      { type: "mailbox.disconnected", timestamp: expect.any(String), data: { mailbox: email, tenant_id: tenant } },
    ]);
  });
});

/** The message.received events of `hook`, by message id (verified). */
async function receivedMessages(hooks: WebhookHarness, hook: { name: string; secret: string }) {
  await hooks.drain();
  return (await payloads(hook.name, hook.secret)).filter((p) => p.type === "message.received");
}

describe("mailbox.sync.* and message.received of the import", () => {
  it("every page delivered twice: sync.completed once, message.received once per new inbox message", async () => {
    const { hooks, mail } = both();
    const { org, email, messages } = await seeded(mail.api);
    const hook = await hooks.createWebhook(org, { event_types: ["mailbox.sync.completed", "message.received"] });
    await connect(mail.api, org, email);
    expect((await startSync(mail.api, org, email)).status).toBe(202);
    await mail.drain({ redeliver: true });
    const done = await status(mail.api, org, email);
    expect(done.status).toBe("COMPLETED");
    // A sync of the same window again imports nothing new: a second sync.completed, no message.received.
    expect((await startSync(mail.api, org, email)).status).toBe(202);
    await mail.drain();

    const events = await receivedMessages(hooks, hook);
    const inbox = inWindow(messages, "inbox");
    expect(events).toHaveLength(inbox.length);
    const stored = (await messageRows(org)).filter((r) => r.folder === "inbox");
    expect(events.map((e) => e.data.message_id).sort()).toEqual(stored.map((r) => r.id).sort());
    for (const event of events) {
      const row = stored.find((r) => r.id === event.data.message_id);
      expect(event.data).toEqual({
        message_id: row?.id,
        mailbox: email,
        shared_inbox_id: "default",
        subject: row?.subject,
        from: { address: row?.from_address, name: expect.anything() },
        received_at: expect.any(String),
      });
      expect(JSON.stringify(event)).not.toMatch(/body/);
    }
    const syncs = (await payloads(hook.name, hook.secret)).filter((p) => p.type === "mailbox.sync.completed");
    expect(syncs).toHaveLength(2);
    expect(syncs[0]?.data).toEqual({
      mailbox: email,
      sync_id: done.execution_id,
      status: "COMPLETED",
      counters: {
        inbox: { total_messages: inbox.length, processed_messages: inbox.length, failed_messages: 0 },
        sent_items: expect.objectContaining({ processed_messages: inWindow(messages, "sentitems").length }),
      },
      error: null,
    });
  });

  it("a sync cancelled by a disconnect: mailbox.sync.failed once, with status CANCELLED", async () => {
    const { hooks, mail } = both();
    const { org, email } = await seeded(mail.api);
    const hook = await hooks.createWebhook(org, { event_types: ["mailbox.sync.failed", "mailbox.sync.completed"] });
    await connect(mail.api, org, email);
    expect((await startSync(mail.api, org, email)).status).toBe(202);
    const running = await status(mail.api, org, email);
    expect((await mail.api("POST", disconnectPath(email), { org })).status).toBe(200);
    // The queued tasks of the cancelled sync find nothing to do (and end nothing again).
    await mail.drain({ redeliver: true });
    await hooks.drain();
    expect(await payloads(hook.name, hook.secret)).toEqual([
      {
        type: "mailbox.sync.failed",
        timestamp: expect.any(String),
        data: {
          mailbox: email,
          sync_id: running.execution_id,
          status: "CANCELLED",
          counters: { inbox: expect.any(Object), sent_items: expect.any(Object) },
          error: "The sync was cancelled",
        },
      },
    ]);
  });

  it("an org without endpoints gets no event rows; org B's endpoint never sees org A's events", async () => {
    const { hooks, mail } = both();
    const a = await seeded(mail.api);
    const b = await seeded(mail.api);
    const hookB = await hooks.createWebhook(b.org);
    // A disabled endpoint of org A does not count as a receiver either.
    const disabledA = await hooks.createWebhook(a.org);
    expect(
      (
        await hooks.api("PATCH", `/v2/email-settings/webhooks/${disabledA.id}`, {
          org: a.org,
          body: { enabled: false },
        })
      ).status,
    ).toBe(200);
    await connect(mail.api, a.org, a.email);
    expect((await startSync(mail.api, a.org, a.email)).status).toBe(202);
    await mail.drain();
    expect((await status(mail.api, a.org, a.email)).status).toBe("COMPLETED");
    expect((await mail.api("POST", disconnectPath(a.email), { org: a.org })).status).toBe(200);
    await hooks.drain();
    expect(await eventRows(a.org)).toEqual([]);
    expect(await rows("SELECT id FROM webhook_deliveries WHERE org_id = ?", a.org)).toEqual([]);
    expect(await received(hookB.name)).toEqual([]);
    expect(await received(disabledA.name)).toEqual([]);
    expect(await eventRows(b.org)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
// Live sync runs in the mailbox's Durable Object and the real queues (live-harness.ts), whose Worker
// refuses http endpoints at send time (WEBHOOK_ALLOW_INSECURE_URLS is off there): the events are counted
// in D1, then each is redelivered through the test's queue to the loopback receiver and verified.

/** Waits until the real consumer has settled every delivery of `org`, then redelivers them to the receiver. */
async function redeliverAll(hooks: WebhookHarness, org: string, hookId: string) {
  await waitFor("the deliveries settled", async () => {
    const pending = await rows("SELECT id FROM webhook_deliveries WHERE org_id = ? AND status = 'pending'", org);
    return pending.length === 0;
  });
  for (const { event_id } of await rows<{ event_id: string }>(
    "SELECT event_id FROM webhook_deliveries WHERE org_id = ? ORDER BY rowid",
    org,
  )) {
    const path = `/v2/email-settings/webhooks/${hookId}/events/${event_id}/redeliver`;
    expect((await hooks.api("POST", path, { org })).status).toBeLessThan(300);
  }
  await hooks.drain();
}

const LIVE_VARS = { MAILBOX_POLL_INTERVAL_SECONDS: "1", MAILBOX_BACKSTOP_POLL_SECONDS: "3600" };

describe("live sync events", { timeout: 60_000 }, () => {
  it("message.received once per new message across a replayed delta; none for updates or sent items", async () => {
    const api = liveApi();
    const hooks = webhookHarness();
    const { org, email } = await connectedMailbox(api);
    const hook = await hooks.createWebhook(org, { event_types: ["message.received"] });
    await waitFor("the first run", async () => (await liveStatus(api, org, email)).last_delta_at !== null);
    const first = await addGraphMessage(email, { subject: "first" });
    await addGraphMessage(email, { folder: "sentitems", subject: "sent" });
    await waitFor("the first messages", async () => (await listedIds(api, org)).length === 2, 11_000);
    await updateGraphMessage(email, first.id, { subject: "first, edited" });
    // Every delta token expires and changes are replayed: the resync sees every message again.
    await controlDelta(email, { expire_tokens: true, fail: "resyncRequired" });
    await controlDelta(email, { replay: 3 });
    const second = await addGraphMessage(email, { subject: "second" });
    await waitFor("the second message", async () => (await listedIds(api, org)).includes(second.id), 11_000);
    await waitFor(
      "the edit",
      async () => {
        return (await messageRow(org, first.id))?.subject === "first, edited";
      },
      11_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    const ids = (await messageRows(org)).filter((r) => r.folder === "inbox");
    expect(await eventRows(org, "message.received")).toHaveLength(2);
    await redeliverAll(hooks, org, hook.id);
    const events = (await payloads(hook.name, hook.secret)).filter((p) => p.type === "message.received");
    expect(events.map((e) => e.data.message_id).sort()).toEqual(ids.map((r) => r.id).sort());
    expect(events.find((e) => e.data.message_id === ids.find((r) => r.graph_id === first.id)?.id)?.data.subject).toBe(
      "first",
    );
  });

  it("mailbox.live.degraded when the connection expires, mailbox.live.recovered once runs succeed again", async () => {
    const api = liveApi();
    const hooks = webhookHarness();
    const { org, tenant, email } = await connectedMailbox(api);
    const hook = await hooks.createWebhook(org, { event_types: ["mailbox.live.degraded", "mailbox.live.recovered"] });
    await waitFor("the first run", async () => (await liveStatus(api, org, email)).last_delta_at !== null);
    await env.DB.prepare("UPDATE outlook_connections SET status = 'expired' WHERE org_id = ? AND tenant_id = ?")
      .bind(org, tenant)
      .run();
    await waitFor(
      "reconnect_required",
      async () => (await liveStatus(api, org, email)).status === "reconnect_required",
    );
    // Reconnected (new tokens, as the OAuth callback stores them); the hourly schedule resumes it.
    await connectTenant(org, tenant);
    const ctx = createExecutionContext();
    await worker.scheduled?.(createScheduledController(), { ...(env as unknown as AppEnv), ...LIVE_VARS }, ctx);
    await waitOnExecutionContext(ctx);
    await waitFor("recovered", async () => (await eventRows(org, "mailbox.live.recovered")).length === 1, 15_000);
    expect((await eventRows(org)).map((e) => e.type)).toEqual(["mailbox.live.degraded", "mailbox.live.recovered"]);
    await redeliverAll(hooks, org, hook.id);
    const events = await payloads(hook.name, hook.secret);
    expect(events).toEqual([
      {
        type: "mailbox.live.degraded",
        timestamp: expect.any(String),
        data: { mailbox: email, reason: expect.stringMatching(/reconnect|expired/i) },
      },
      { type: "mailbox.live.recovered", timestamp: expect.any(String), data: { mailbox: email } },
    ]);
  });
});
