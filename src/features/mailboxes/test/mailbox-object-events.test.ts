import { env } from "cloudflare:workers";
import { uniqueOrg } from "@test/helpers/api";
import { grantLiveRun, livePage, incomingMessage as message } from "@test/helpers/mailbox-object";
import { received, rows, webhookHarness } from "@test/helpers/webhook-harness";
import { expectVerified } from "@test/helpers/webhook-verify";
import { describe, expect, it } from "vitest";
import type { IncomingMessage } from "@/db/mailbox-object";
import { relayMessageEvents } from "@/db/outbox";
import { servicesFor } from "@/entry/services";
import { relayMailboxEvents } from "@/features/mailboxes/message-events";
import { lockStub } from "@/features/mailboxes/sync/lock-stub";
import type { AppEnv } from "@/lib/types";

/**
 * The mailbox object's outbox: `message.received` is recorded in the same transaction as a new inbox message
 * (never for a redelivered page, a refreshed row or sent items), relayed into D1's webhook tables and delivered
 * signed, once however often the relay runs, and nothing for an org without endpoints.
 */

type Payload = { type: string; timestamp: string; data: Record<string, unknown> };

/** An import page of `rows`, each imported. */
const importPage = (rows: IncomingMessage[]) => ({
  rows,
  attachments: [],
  outcomes: rows.map((row) => ({ graph_id: row.graph_id, folder: row.folder })),
});

describe("the mailbox object's message events", () => {
  it("records message.received once per new inbox message, in the write's transaction", async () => {
    const services = servicesFor(env as unknown as AppEnv);
    const owner = { orgId: uniqueOrg("events"), mailbox: "service@contoso.example" };
    const object = lockStub(services, owner.orgId, owner.mailbox);
    const grant = await object.acquire({ ...owner, executionId: "exec-1", leaseMs: 60_000 });
    if (!grant.ok) throw new Error("no lease");
    const lease = { executionId: "exec-1", token: grant.token };
    const inbox = [message(), message({ subject: "x".repeat(1500) })];
    const sent = message({ folder: "sentitems" });
    const at = { now: "2026-12-02T00:00:00.000Z", readAt: "2026-12-02T00:00:00.000Z", sharedInboxId: "support" };
    await object.writeImportPage(owner, lease, importPage([...inbox, sent]), at);
    // The same page again, and the same messages under new uids: no new message, no event.
    await object.writeImportPage(owner, lease, importPage([...inbox, sent]), at);
    const renamed = { ...inbox[0], uid: crypto.randomUUID() } as IncomingMessage;
    await object.writeImportPage(owner, lease, importPage([renamed]), at);

    const pending = await object.pendingMessageEvents(owner, 10);
    expect(pending.map((event) => event.id).sort()).toEqual(
      inbox.map((m) => `msg_${m.uid.replaceAll("-", "")}`).sort(),
    );
    const payload = JSON.parse(pending.find((e) => e.id.endsWith(inbox[0]?.uid.slice(-12) ?? ""))?.payload ?? "");
    expect(payload).toEqual({
      type: "message.received",
      timestamp: at.now,
      data: {
        message_id: inbox[0]?.uid,
        mailbox: owner.mailbox,
        shared_inbox_id: "support",
        subject: "Zählerstand März",
        from: { address: "kunde@example.de", name: "Erika Müller" },
        received_at: "2026-12-01T10:00:00.000Z",
      },
    });
    const long = pending.map((e) => JSON.parse(e.payload) as Payload).find((p) => p.data.message_id === inbox[1]?.uid);
    expect(long?.data.subject).toHaveLength(1000);
  });

  it("relays them into the webhook pipeline and delivers each once, signed, however often the relay runs", async () => {
    const hooks = webhookHarness();
    const services = servicesFor(hooks.workerEnv);
    const owner = { orgId: uniqueOrg("relay"), mailbox: "service@contoso.example" };
    const hook = await hooks.createWebhook(owner.orgId, { event_types: ["message.received"] });
    const object = lockStub(services, owner.orgId, owner.mailbox);
    const mail = [message(), message(), message()];
    const run = { now: new Date().toISOString(), sharedInboxId: "default" };
    await object.writeLivePage(owner, await grantLiveRun(object, owner), livePage("inbox", { rows: mail }), run);

    // A relay that wrote D1 and crashed before the object forgot its events, then the relay again.
    await relayMessageEvents(services.d1, owner.orgId, await object.pendingMessageEvents(owner, 10), run.now);
    expect(await relayMailboxEvents(services, owner)).toBe(3);
    expect(await relayMailboxEvents(services, owner)).toBe(0);
    expect(await object.pendingMessageEvents(owner, 10)).toEqual([]);

    const events = await rows<{ id: string }>("SELECT id FROM webhook_events WHERE org_id = ?", owner.orgId);
    expect(events).toHaveLength(3);
    const deliveries = await rows("SELECT id FROM webhook_deliveries WHERE org_id = ?", owner.orgId);
    expect(deliveries).toHaveLength(3);
    await hooks.drain();
    const delivered = (await received(hook.name)).map((request) => expectVerified(hook.secret, request) as Payload);
    expect(delivered.map((p) => p.data.message_id).sort()).toEqual(mail.map((m) => m.uid).sort());
  });

  it("an org without endpoints gets no D1 rows, and the object still forgets its events", async () => {
    const services = servicesFor(env as unknown as AppEnv);
    const owner = { orgId: uniqueOrg("quiet"), mailbox: "service@contoso.example" };
    const object = lockStub(services, owner.orgId, owner.mailbox);
    const runId = await grantLiveRun(object, owner);
    await object.writeLivePage(owner, runId, livePage("inbox", { rows: [message()] }), {
      now: new Date().toISOString(),
      sharedInboxId: "default",
    });
    expect(await relayMailboxEvents(services, owner)).toBe(1);
    expect(await object.pendingMessageEvents(owner, 10)).toEqual([]);
    expect(await rows("SELECT id FROM webhook_events WHERE org_id = ?", owner.orgId)).toEqual([]);
  });
});
