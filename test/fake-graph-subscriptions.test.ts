import { describe, expect, it } from "vitest";
import { fakeMailbox } from "./helpers/fixtures";
import { type OutboxRequest, relayOnce, startGraphRelay } from "./helpers/graph-relay";
import {
  addGraphMessage,
  appOnlyToken,
  delegatedToken,
  deleteGraphMessage,
  graphMailbox,
  moveGraphMessage,
  removeGraphSubscription,
  repeatNotification,
  sendLifecycleEvent,
  setAppOnlyConsent,
  setGraphClock,
  testEnv,
  uniqueTenant,
} from "./helpers/mailbox-harness";

/**
 * The fake Graph's subscriptions, validation handshake, change notifications and lifecycle events, driven
 * as the Worker drives them, against Microsoft's documentation (test/servers/fake-graph/subscriptions.ts).
 * The "Worker" here is a stand-in route given to the relay as its target.
 */

const GRAPH = testEnv.TEST_GRAPH_BASE_URL;
const HOOK = "https://hooks.test/graph/notifications?mailbox=1";
const LIFECYCLE = "https://hooks.test/graph/lifecycle";
const MINUTE = 60_000;

interface Received {
  url: URL;
  contentType: string;
  body: string;
}

/** A notification endpoint done right: echoes the decoded validation token as text/plain, 202 otherwise. */
function standIn(options: { echo?: (token: string) => Response } = {}) {
  const received: Received[] = [];
  const target = async (request: Request, _entry: OutboxRequest) => {
    const url = new URL(request.url);
    received.push({ url, contentType: request.headers.get("content-type") ?? "", body: await request.text() });
    const token = url.searchParams.get("validationToken");
    if (token !== null) {
      return options.echo?.(token) ?? new Response(token, { headers: { "content-type": "text/plain; charset=utf-8" } });
    }
    return new Response(null, { status: 202 });
  };
  return { target, received };
}

async function subscribe(token: string, email: string, body: Record<string, unknown> = {}) {
  const response = await fetch(`${GRAPH}/subscriptions`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", prefer: 'IdType="ImmutableId"' },
    body: JSON.stringify({
      changeType: "created,updated,deleted",
      resource: `users/${email}/mailFolders('inbox')/messages`,
      notificationUrl: HOOK,
      lifecycleNotificationUrl: LIFECYCLE,
      clientState: "per-subscription-secret",
      expirationDateTime: new Date(Date.now() + 4_000 * MINUTE).toISOString(),
      ...body,
    }),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown> & { error?: { code: string } },
  };
}

async function consentedMailbox() {
  const { tenant, email } = await fakeMailbox({ spec: { inbox: 2, sentitems: 1 } });
  await setAppOnlyConsent(tenant);
  return { tenant, email, app: appOnlyToken(tenant) };
}

/** Creates a subscription while the relay answers the handshake with the stand-in. */
async function subscribed(body: Record<string, unknown> = {}) {
  const mailbox = await consentedMailbox();
  const hook = standIn();
  const relay = startGraphRelay({ tenants: [mailbox.tenant], target: hook.target, waitMs: 50 });
  try {
    const created = await subscribe(mailbox.app, mailbox.email, body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return { ...mailbox, hook, relay, subscription: created.body as { id: string; expirationDateTime: string } };
  } catch (err) {
    await relay.stop();
    throw err;
  }
}

describe("fake Graph: POST /subscriptions", () => {
  it("refuses delegated tokens on a shared mailbox and app-only tokens without consent (403)", async () => {
    const { tenant, email } = await fakeMailbox();
    const delegated = await subscribe(delegatedToken(tenant), email);
    expect(delegated.status).toBe(403);
    const noConsent = await subscribe(appOnlyToken(tenant), email);
    expect(noConsent.status).toBe(403);
    expect(noConsent.body.error?.code).toBe("ErrorAccessDenied");
    expect((await graphMailbox(email)).subscriptions).toEqual([]);
  });

  it("validates both URLs with the handshake (text/plain, decoded token) while the caller waits; then 201", async () => {
    const { email, hook, relay, subscription } = await subscribed();
    await relay.stop();
    const handshakes = hook.received.filter((r) => r.url.searchParams.has("validationToken"));
    expect(handshakes.map((r) => `${r.url.origin}${r.url.pathname}`).sort()).toEqual(
      ["https://hooks.test/graph/lifecycle", "https://hooks.test/graph/notifications"].sort(),
    );
    expect(handshakes.find((r) => r.url.pathname.endsWith("notifications"))?.url.searchParams.get("mailbox")).toBe("1");
    expect(handshakes[0]?.contentType).toMatch(/^text\/plain/);
    expect(handshakes[0]?.url.searchParams.get("validationToken")).toMatch(/ /); // needs decoding
    const [view] = (await graphMailbox(email)).subscriptions;
    expect(view).toMatchObject({ id: subscription.id, app_only: true, clientState: "per-subscription-secret" });
    expect(view?.expirationDateTime).toBe(subscription.expirationDateTime);
  });

  it("completes the handshake against the Worker's own notification endpoints through the relay", async () => {
    const { tenant, email, app } = await consentedMailbox();
    const relay = startGraphRelay({ tenants: [tenant], purposes: ["validation"], waitMs: 50 });
    try {
      const created = await subscribe(app, email, {
        notificationUrl: "https://api.test/v2/outlook/notifications",
        lifecycleNotificationUrl: "https://api.test/v2/outlook/notifications/lifecycle",
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    } finally {
      await relay.stop();
    }
    expect(relay.delivered().map((d) => [d.purpose, d.status, d.accepted])).toEqual([
      ["validation", 200, "ok"],
      ["validation", 200, "ok"],
    ]);
    expect((await graphMailbox(email)).subscriptions).toHaveLength(1);
  });

  it("creates nothing (400) when the endpoint answers the handshake wrongly", async () => {
    const { tenant, email, app } = await consentedMailbox();
    const wrong = [
      (t: string) => Response.json({ validationToken: t }), // JSON, not text/plain
      (t: string) => new Response(encodeURIComponent(t), { headers: { "content-type": "text/plain" } }), // still encoded
      (t: string) => new Response(t, { status: 202, headers: { "content-type": "text/plain" } }),
    ];
    for (const echo of wrong) {
      const relay = startGraphRelay({ tenants: [tenant], target: standIn({ echo }).target, waitMs: 50 });
      const created = await subscribe(app, email);
      await relay.stop();
      expect(created.status).toBe(400);
      expect(created.body.error?.code).toBe("ValidationError");
    }
    expect((await graphMailbox(email)).subscriptions).toEqual([]);
  });

  it("caps expirationDateTime at 4,230 minutes, raises short ones to 45 minutes, and PATCH renews within the cap", async () => {
    const { email, app, relay, subscription } = await subscribed({
      expirationDateTime: new Date(Date.now() + 5 * MINUTE).toISOString(),
    });
    await relay.stop();
    expect(Date.parse(subscription.expirationDateTime)).toBeGreaterThanOrEqual(Date.now() + 44 * MINUTE);
    const tooLong = await subscribe(app, email, {
      expirationDateTime: new Date(Date.now() + 4_231 * MINUTE).toISOString(),
    });
    expect(tooLong.status).toBe(400);

    const patch = (minutes: number) =>
      fetch(`${GRAPH}/subscriptions/${subscription.id}`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${app}`, "content-type": "application/json" },
        body: JSON.stringify({ expirationDateTime: new Date(Date.now() + minutes * MINUTE).toISOString() }),
      });
    expect((await patch(4_231)).status).toBe(400);
    const renewed = await patch(4_000);
    expect(renewed.status).toBe(200);
    const renewedAt = ((await renewed.json()) as { expirationDateTime: string }).expirationDateTime;
    expect((await graphMailbox(email)).subscriptions[0]).toMatchObject({ renewals: 1, expirationDateTime: renewedAt });
  });

  it("an expired subscription is gone (simulated with the fake's clock)", async () => {
    const { email, app, relay, subscription } = await subscribed();
    await relay.stop();
    await setGraphClock(4_100 * MINUTE);
    try {
      const response = await fetch(`${GRAPH}/subscriptions/${subscription.id}`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${app}`, "content-type": "application/json" },
        body: JSON.stringify({ expirationDateTime: new Date(Date.now() + 4_200 * MINUTE).toISOString() }),
      });
      expect(response.status).toBe(404);
      await response.body?.cancel();
    } finally {
      await setGraphClock(0);
    }
    expect((await graphMailbox(email)).subscriptions).toEqual([]);
  });
});

describe("fake Graph: notifications", () => {
  it("notifies created, updated and deleted mail in the subscribed folder, and records each status", async () => {
    const { tenant, email, hook, relay, subscription } = await subscribed();
    try {
      const created = await addGraphMessage(email, { folder: "inbox" });
      await addGraphMessage(email, { folder: "sentitems" }); // not subscribed
      await deleteGraphMessage(email, created.id);
      await relay.idle();
    } finally {
      await relay.stop();
    }
    const notifications = hook.received.filter((r) => !r.url.searchParams.has("validationToken"));
    expect(notifications.map((r) => `${r.url.pathname}${r.url.search}`)).toEqual([
      "/graph/notifications?mailbox=1",
      "/graph/notifications?mailbox=1",
    ]);
    const bodies = notifications.map((r) => JSON.parse(r.body) as { value: Record<string, unknown>[] });
    const { user_id: userId, notifications: records } = await graphMailbox(email);
    const first = bodies[0]?.value[0];
    expect(first).toMatchObject({
      subscriptionId: subscription.id,
      subscriptionExpirationDateTime: subscription.expirationDateTime,
      clientState: "per-subscription-secret",
      changeType: "created",
      tenantId: tenant,
      resourceData: {
        "@odata.type": "#Microsoft.Graph.Message",
        "@odata.id": `Users/${userId}/Messages/${first?.resourceData && (first.resourceData as { id: string }).id}`,
      },
    });
    expect(bodies.map((b) => b.value[0]?.changeType)).toEqual(["created", "deleted"]);
    expect(records.map((r) => [r.kind, r.change_type, r.status])).toEqual([
      ["change", "created", 202],
      ["change", "deleted", 202],
    ]);
  });

  it("a move notifies deleted on the Inbox subscription and created on the Sent Items one, with the same id", async () => {
    const { email, app, relay, hook } = await subscribed();
    try {
      const sent = await subscribe(app, email, { resource: `users/${email}/mailFolders('sentitems')/messages` });
      expect(sent.status).toBe(201);
      const [message] = (await graphMailbox(email)).messages.filter((m) => m.folder === "inbox");
      await moveGraphMessage(email, String(message?.id), "sentitems");
      await relay.idle();
      const changes = hook.received
        .filter((r) => !r.url.searchParams.has("validationToken"))
        .map(
          (r) =>
            (
              JSON.parse(r.body) as {
                value: { subscriptionId: string; changeType: string; resourceData: { id: string } }[];
              }
            ).value[0],
        );
      expect(
        changes
          .map((c) => [c?.subscriptionId === sent.body.id ? "sentitems" : "inbox", c?.changeType, c?.resourceData.id])
          .sort(),
      ).toEqual(
        [
          ["inbox", "deleted", message?.id],
          ["sentitems", "created", message?.id],
        ].sort(),
      );
    } finally {
      await relay.stop();
    }
  });

  it("sends lifecycle events to the lifecycle URL, duplicates on demand, and nothing once removed", async () => {
    const { email, app, relay, hook, subscription } = await subscribed();
    try {
      await sendLifecycleEvent(subscription.id, "missed");
      const [message] = (await graphMailbox(email)).messages;
      await repeatNotification(subscription.id, String(message?.id), 5);
      await removeGraphSubscription(subscription.id);
      await relay.idle();
      await addGraphMessage(email, { folder: "inbox" }); // after the removal: no notification
      await relay.idle();
    } finally {
      await relay.stop();
    }
    const lifecycle = hook.received.filter((r) => r.url.pathname === "/graph/lifecycle" && r.body);
    expect(lifecycle.map((r) => JSON.parse(r.body).value[0])).toEqual([
      expect.objectContaining({
        subscriptionId: subscription.id,
        lifecycleEvent: "missed",
        clientState: "per-subscription-secret",
      }),
      expect.objectContaining({ subscriptionId: subscription.id, lifecycleEvent: "subscriptionRemoved" }),
    ]);
    expect(hook.received.filter((r) => r.url.pathname === "/graph/notifications" && r.body)).toHaveLength(5);
    const list = await fetch(`${GRAPH}/subscriptions`, { headers: { authorization: `Bearer ${app}` } });
    expect(((await list.json()) as { value: { id: string }[] }).value.map((s) => s.id)).not.toContain(subscription.id);
  });

  it("keeps a notification in the outbox until a relay of its tenant claims it", async () => {
    const { tenant, email, relay, hook } = await subscribed();
    await relay.stop();
    await addGraphMessage(email, { folder: "inbox" });
    expect(await relayOnce({ tenants: [uniqueTenant()], target: hook.target })).toEqual([]); // another scope
    const delivered = await relayOnce({ tenants: [tenant], target: hook.target });
    expect(delivered.map((d) => [d.purpose, d.status, d.accepted])).toEqual([["notification", 202, "ok"]]);
    expect((await graphMailbox(email)).notifications.map((n) => n.status)).toEqual([202]);
  });
});
