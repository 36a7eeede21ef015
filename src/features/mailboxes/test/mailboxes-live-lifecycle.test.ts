import { connectedMailbox } from "@test/helpers/fixtures";
import { startGraphRelay } from "@test/helpers/graph-relay";
import { listedIds, liveApi, liveStatus, PUBLIC_BASE_URL, waitFor } from "@test/helpers/live-harness";
import {
  addGraphMessage,
  type GraphSubscriptionView,
  graphMailbox,
  removeGraphSubscription,
  sendLifecycleEvent,
  uniqueTenant,
} from "@test/helpers/mailbox-harness";
import { countMessages } from "@test/helpers/rows";
import { describe, expect, it } from "vitest";

/**
 * Graph's lifecycle events and subscription renewals: `reauthorizationRequired` renews with a fresh
 * app-only token, `subscriptionRemoved` recreates the subscription and catches up with a delta run,
 * `missed` runs a delta; a short subscription lifetime is renewed before every expiry, period after period.
 */

async function notified(vars: Record<string, string> = {}, minExpirationMinutes?: number) {
  const api = liveApi({ PUBLIC_BASE_URL, MAILBOX_POLL_INTERVAL_SECONDS: "3600", ...vars });
  const tenant = uniqueTenant();
  const relay = startGraphRelay({ tenants: [tenant] });
  const mailbox = await connectedMailbox(api, { consent: { minExpirationMinutes }, tenant });
  await waitFor("the subscriptions", async () => (await liveStatus(api, mailbox.org, mailbox.email)).status === "live");
  await waitFor(
    "the first run",
    async () => (await liveStatus(api, mailbox.org, mailbox.email)).last_delta_at !== null,
  );
  return { api, relay, ...mailbox };
}

const inboxSubscription = async (email: string) =>
  ((await graphMailbox(email)).subscriptions as GraphSubscriptionView[]).find((s) => s.folder === "inbox");

describe("live sync lifecycle events", { timeout: 60_000 }, () => {
  it("reauthorizationRequired renews the subscription (held notifications flow again)", async () => {
    const { api, relay, org, email } = await notified();
    try {
      const sub = await inboxSubscription(email);
      expect(sub?.renewals).toBe(0);
      await sendLifecycleEvent(sub?.id ?? "", "reauthorizationRequired", { pause: true });
      await waitFor("the renewal", async () => ((await inboxSubscription(email))?.renewals ?? 0) >= 1);
      const renewed = await inboxSubscription(email);
      expect(renewed?.id).toBe(sub?.id);
      expect(renewed?.paused).toBe(false);
      const message = await addGraphMessage(email, { subject: "after reauthorization" });
      await waitFor("the message", async () => (await listedIds(api, org)).includes(message.id));
      expect((await liveStatus(api, org, email)).status).toBe("live");
    } finally {
      await relay.stop();
    }
  });

  it("subscriptionRemoved recreates the subscription and catches up on what arrived meanwhile", async () => {
    const { api, relay, org, email } = await notified();
    try {
      const sub = await inboxSubscription(email);
      // Graph drops the subscription: mail arriving now sends no notification.
      await removeGraphSubscription(sub?.id ?? "");
      const meanwhile = await addGraphMessage(email, { subject: "while removed" });
      await waitFor("the new subscription", async () => {
        const next = await inboxSubscription(email);
        return next !== undefined && next.id !== sub?.id;
      });
      await waitFor("the catch-up", async () => (await listedIds(api, org)).includes(meanwhile.id));
      const status = await liveStatus(api, org, email);
      expect(status.status).toBe("live");
      expect(status.subscriptions).toHaveLength(2);
      expect(await countMessages(org, email)).toBe(1);
    } finally {
      await relay.stop();
    }
  });

  it("missed runs a delta although the next poll is an hour away", async () => {
    const { api, relay, org, email } = await notified();
    try {
      const before = await liveStatus(api, org, email);
      const deltas = (await graphMailbox(email)).stats.requests.delta ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 20));
      await sendLifecycleEvent((await inboxSubscription(email))?.id ?? "", "missed");
      await waitFor(
        "the delta run",
        async () => (await liveStatus(api, org, email)).last_delta_at !== before.last_delta_at,
      );
      expect((await graphMailbox(email)).stats.requests.delta ?? 0).toBeGreaterThan(deltas);
      expect((await liveStatus(api, org, email)).last_notification_at).not.toBe(before.last_notification_at);
    } finally {
      await relay.stop();
    }
  });

  it("renews before expiry across several periods of a short lifetime; notifications keep working", async () => {
    // 6-second subscriptions (renewed at half their life); the fake Graph's minimum lowered to 3 s.
    const { api, relay, org, email } = await notified({ MAILBOX_SUBSCRIPTION_LIFETIME_MINUTES: "0.1" }, 0.05);
    try {
      const ids = (await graphMailbox(email)).subscriptions.map((s) => s.id).sort();
      expect(ids).toHaveLength(2);
      // 20 s = more than three lifetimes: every check finds both subscriptions alive, never recreated.
      const until = Date.now() + 20_000;
      while (Date.now() < until) {
        const subs = (await graphMailbox(email)).subscriptions;
        expect(subs.map((s) => s.id).sort()).toEqual(ids);
        for (const s of subs) expect(Date.parse(s.expirationDateTime)).toBeGreaterThan(Date.now());
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const subs = (await graphMailbox(email)).subscriptions;
      for (const s of subs) expect(s.renewals).toBeGreaterThanOrEqual(3);
      expect((await liveStatus(api, org, email)).status).toBe("live");
      const message = await addGraphMessage(email, { subject: "still notified" });
      await waitFor("the message", async () => (await listedIds(api, org)).includes(message.id));
    } finally {
      await relay.stop();
    }
  });
});
