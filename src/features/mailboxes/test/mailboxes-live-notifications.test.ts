import { exports } from "cloudflare:workers";
import { connectedMailbox } from "@test/helpers/fixtures";
import { startGraphRelay } from "@test/helpers/graph-relay";
import { listedIds, liveApi, liveStatus, PUBLIC_BASE_URL, waitFor } from "@test/helpers/live-harness";
import {
  addGraphMessage,
  deleteGraphMessage,
  type GraphSubscriptionView,
  graphMailbox,
  repeatNotification,
  uniqueTenant,
} from "@test/helpers/mailbox-harness";
import { countMessages } from "@test/helpers/rows";
import { describe, expect, it } from "vitest";

/**
 * Live sync with change notifications: a tenant that granted admin consent gets app-only subscriptions
 * (the fake Graph refuses delegated ones for shared mailboxes), Graph's validation handshake is answered,
 * and a notification brings the change in within 10 s, while the backstop poll (an hour here) is far off.
 * Duplicates coalesce; a notification with a wrong clientState changes nothing.
 */

const NOTIFIED_BOUND_MS = 10_000;

/** Notifications on, every poll an hour away: only a notification can bring a change in quickly. */
const notificationApi = () => liveApi({ PUBLIC_BASE_URL, MAILBOX_POLL_INTERVAL_SECONDS: "3600" });

describe("live sync, notification mode", { timeout: 60_000 }, () => {
  it("subscribes per folder with the app-only token; new and deleted mail follow within 10 s of the notification", async () => {
    const api = notificationApi();
    const { org, email, relay: live } = await setUp(api);
    try {
      const status = await liveStatus(api, org, email);
      expect(status.status).toBe("live");
      expect(status.polling_reason).toBeNull();
      expect(status.poll_interval_seconds).toBe(3600);
      expect(status.subscriptions.map((s) => s.folder).sort()).toEqual(["inbox", "sentitems"]);
      const graph = await graphMailbox(email);
      expect(graph.subscriptions).toHaveLength(2);
      for (const sub of graph.subscriptions) {
        expect(sub.app_only).toBe(true);
        expect(sub.notificationUrl).toBe(`${PUBLIC_BASE_URL}/v2/outlook/notifications`);
        expect(sub.lifecycleNotificationUrl).toBe(`${PUBLIC_BASE_URL}/v2/outlook/notifications/lifecycle`);
        expect(sub.changeType).toBe("created,updated,deleted");
        expect(Date.parse(sub.expirationDateTime)).toBeGreaterThan(Date.now() + 60 * 60_000);
      }
      expect(
        live
          .delivered()
          .filter((d) => d.purpose === "validation")
          .every((d) => d.status === 200),
      ).toBe(true);

      const message = await addGraphMessage(email, { folder: "inbox", subject: "notified" });
      await waitFor(
        "the notified message",
        async () => (await listedIds(api, org)).includes(message.id),
        NOTIFIED_BOUND_MS,
      );
      await deleteGraphMessage(email, message.id);
      await waitFor("the deletion", async () => !(await listedIds(api, org)).includes(message.id), NOTIFIED_BOUND_MS);
      const after = await liveStatus(api, org, email);
      expect(after.last_notification_at).not.toBeNull();
      // Every notification was answered 202, in time.
      const { notifications } = await graphMailbox(email);
      expect(notifications.length).toBeGreaterThan(0);
      expect(notifications.every((n) => n.status === 202 && !n.late)).toBe(true);
    } finally {
      await live.stop();
    }
  });

  it("200 duplicate notifications for one change: one message, and the delta runs coalesce", async () => {
    const api = notificationApi();
    const { org, email, relay } = await setUp(api);
    try {
      const message = await addGraphMessage(email, { folder: "inbox", subject: "once" });
      await waitFor("the message", async () => (await listedIds(api, org)).includes(message.id), NOTIFIED_BOUND_MS);
      const before = (await graphMailbox(email)).stats.requests.delta ?? 0;
      const sub = ((await graphMailbox(email)).subscriptions as GraphSubscriptionView[]).find(
        (s) => s.folder === "inbox",
      );
      await repeatNotification(sub?.id ?? "", message.id, 200);
      await relay.idle();
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect((await listedIds(api, org)).filter((id) => id === message.id)).toHaveLength(1);
      expect(await countMessages(org, email)).toBe(1);
      // At most one running and one pending run: a few delta rounds (2 folders each), never 200.
      const deltas = ((await graphMailbox(email)).stats.requests.delta ?? 0) - before;
      expect(deltas).toBeGreaterThan(0);
      expect(deltas).toBeLessThanOrEqual(3 * 2);
    } finally {
      await relay.stop();
    }
  });

  it("a notification with a wrong clientState (or none, or an unknown subscription) changes nothing", async () => {
    const api = notificationApi();
    const { org, email, relay } = await setUp(api);
    try {
      const before = await liveStatus(api, org, email);
      const graph = await graphMailbox(email);
      const sub = graph.subscriptions[0];
      const clientState = sub?.clientState ?? "";
      const objectId = clientState.split(".")[0];
      const deltasBefore = graph.stats.requests.delta ?? 0;
      const post = (value: unknown[]) =>
        exports.default.fetch(
          new Request(`${PUBLIC_BASE_URL}/v2/outlook/notifications`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ value }),
          }),
        );
      const base = { changeType: "created", resource: "x", resourceData: { id: "m" } };
      for (const value of [
        [{ ...base, subscriptionId: sub?.id, clientState: `${objectId}.wrong-secret` }],
        [{ ...base, subscriptionId: sub?.id }],
        [{ ...base, subscriptionId: "unknown", clientState }],
        [{ ...base, subscriptionId: sub?.id, clientState: `${"0".repeat(64)}.x` }],
      ]) {
        const response = await post(value);
        expect(response.status).toBe(202);
      }
      const bad = await exports.default.fetch(
        new Request(`${PUBLIC_BASE_URL}/v2/outlook/notifications`, { method: "POST", body: "not json" }),
      );
      expect(bad.status).toBe(202);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const after = await liveStatus(api, org, email);
      expect(after.last_notification_at).toBe(before.last_notification_at);
      expect(after.last_delta_at).toBe(before.last_delta_at);
      expect((await graphMailbox(email)).stats.requests.delta ?? 0).toBe(deltasBefore);
    } finally {
      await relay.stop();
    }
  });

  it("the validation handshake echoes the token as text/plain, without a bearer token", async () => {
    for (const path of ["/v2/outlook/notifications", "/v2/outlook/notifications/lifecycle"]) {
      const token = "Validation: Testing client application reachability for subscription Request-Id: 1 +&=";
      const response = await exports.default.fetch(
        new Request(`${PUBLIC_BASE_URL}${path}?validationToken=${encodeURIComponent(token)}`, { method: "POST" }),
      );
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(await response.text()).toBe(token);
    }
  });

  it("without the application permission the mailbox runs on polling and says why, in words and as a code", async () => {
    const api = liveApi({ PUBLIC_BASE_URL });
    const { org, email } = await connectedMailbox(api);
    await waitFor("the first delta run", async () => (await liveStatus(api, org, email)).last_delta_at !== null);
    const status = await liveStatus(api, org, email);
    expect(status).toMatchObject({ status: "polling", subscriptions: [], poll_interval_seconds: 1 });
    expect(status.polling_reason).toMatch(/application permission Mail\.Read is not granted/);
    expect(status.polling_reason_code).toBe("app_permission_missing");
    expect((await graphMailbox(email)).subscriptions).toHaveLength(0);
    const message = await addGraphMessage(email, { subject: "polled" });
    await waitFor("the polled message", async () => (await listedIds(api, org)).includes(message.id), 11_000);
  });
});

/** A consented tenant's mailbox connected with notifications, once both subscriptions are live. */
async function setUp(api: ReturnType<typeof liveApi>) {
  const tenant = uniqueTenant();
  const relay = startGraphRelay({ tenants: [tenant] });
  const created = await connectedMailbox(api, { consent: true, tenant });
  await waitFor("the subscriptions", async () => (await liveStatus(api, created.org, created.email)).status === "live");
  await waitFor(
    "the first delta run",
    async () => (await liveStatus(api, created.org, created.email)).last_delta_at !== null,
  );
  return { ...created, relay };
}
