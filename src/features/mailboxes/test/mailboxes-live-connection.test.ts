import {
  createExecutionContext,
  createScheduledController,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expectBody, expectError } from "@test/helpers/api";
import { connectedMailbox } from "@test/helpers/fixtures";
import { startGraphRelay } from "@test/helpers/graph-relay";
import { listedIds, liveApi, liveStatus, PUBLIC_BASE_URL, waitFor } from "@test/helpers/live-harness";
import { addGraphMessage, connectTenant, graphMailbox, uniqueTenant } from "@test/helpers/mailbox-harness";
import { countMessages } from "@test/helpers/rows";
import { describe, expect, it } from "vitest";
import { servicesFor } from "@/entry/services";
import { DisconnectOutlookMailboxResponseSchema } from "@/features/mailboxes/mailboxes.schemas";
import { lockStub } from "@/features/mailboxes/sync/lock-stub";
import worker from "@/index";
import type { AppEnv } from "@/lib/types";

/**
 * Live sync and the connection: disconnect stops everything (subscriptions deleted, alarm cleared, no
 * further Graph requests, late notifications ignored); an expired tenant connection moves the mailbox to
 * `reconnect_required` without retrying, and reconnecting resumes from the stored delta links; mailboxes
 * connected before live sync existed become live through the hourly schedule, without any call.
 */

const testEnv = env as unknown as AppEnv;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The hourly Cron Trigger, with these vars (the schedule starts mailboxes with the settings it runs with). */
async function runSchedule(vars: Record<string, string>) {
  const ctx = createExecutionContext();
  await worker.scheduled?.(createScheduledController(), { ...testEnv, ...vars } as AppEnv, ctx);
  await waitOnExecutionContext(ctx);
}

const graphRequests = async (email: string) =>
  Object.values((await graphMailbox(email)).stats.requests).reduce((a, b) => a + b, 0);

describe("live sync and the connection", { timeout: 60_000 }, () => {
  it("disconnect deletes the subscriptions, clears the alarm, stops Graph requests and ignores late notifications", async () => {
    const api = liveApi({ PUBLIC_BASE_URL, MAILBOX_POLL_INTERVAL_SECONDS: "1", MAILBOX_BACKSTOP_POLL_SECONDS: "1" });
    const tenant = uniqueTenant();
    const relay = startGraphRelay({ tenants: [tenant] });
    try {
      const { org, email } = await connectedMailbox(api, { consent: true, tenant });
      await waitFor("the subscriptions", async () => (await liveStatus(api, org, email)).status === "live");
      const clientState = (await graphMailbox(email)).subscriptions[0]?.clientState ?? "";
      const subscriptionId = (await graphMailbox(email)).subscriptions[0]?.id ?? "";
      const message = await addGraphMessage(email, { subject: "before disconnect" });
      await waitFor("the message", async () => (await listedIds(api, org)).includes(message.id));

      expectBody(
        await api("POST", `/v2/outlook/mailbox/${encodeURIComponent(email)}/disconnect`, { org }),
        200,
        DisconnectOutlookMailboxResponseSchema,
      );
      expect((await graphMailbox(email)).subscriptions).toHaveLength(0);
      expectError(await api("GET", `/v2/outlook/mailbox/${encodeURIComponent(email)}/live`, { org }), 404);
      await runInDurableObject(lockStub(servicesFor(testEnv), org, email), async (_instance, state) => {
        expect(await state.storage.getAlarm()).toBeNull();
        expect(await state.storage.get("live")).toBeUndefined();
      });
      const requests = await graphRequests(email);
      // A late notification with the subscription's real clientState finds nothing to wake.
      const late = await exports.default.fetch(
        new Request(`${PUBLIC_BASE_URL}/v2/outlook/notifications`, {
          method: "POST",
          body: JSON.stringify({ value: [{ subscriptionId, clientState, changeType: "created" }] }),
        }),
      );
      expect(late.status).toBe(202);
      await addGraphMessage(email, { subject: "after disconnect" });
      await pause(3_000);
      expect(await graphRequests(email)).toBe(requests);
      expect(await countMessages(org, email)).toBe(1);
    } finally {
      await relay.stop();
    }
  });

  it("an expired connection: reconnect_required, no retries; reconnecting resumes and brings the outage's mail once", async () => {
    const api = liveApi();
    const { org, tenant, email } = await connectedMailbox(api);
    await waitFor("the first run", async () => (await liveStatus(api, org, email)).last_delta_at !== null);
    const first = await addGraphMessage(email, { subject: "first" });
    await waitFor("the first message", async () => (await listedIds(api, org)).includes(first.id), 11_000);

    // The refresh token was revoked: the connection is `expired`, as a failed refresh leaves it.
    await env.DB.prepare("UPDATE outlook_connections SET status = 'expired' WHERE org_id = ? AND tenant_id = ?")
      .bind(org, tenant)
      .run();
    await waitFor(
      "reconnect_required",
      async () => (await liveStatus(api, org, email)).status === "reconnect_required",
    );
    const waiting = await liveStatus(api, org, email);
    expect(waiting.next_poll_at).toBeNull();
    expect(waiting.last_error?.message).toMatch(/reconnect/);
    const requests = await graphRequests(email);
    const during = await addGraphMessage(email, { subject: "during the outage" });
    await pause(3_000);
    expect(await graphRequests(email)).toBe(requests);
    expect(await listedIds(api, org)).not.toContain(during.id);

    // Reconnected (new tokens stored, as the OAuth callback does); the schedule resumes it.
    await connectTenant(org, tenant);
    await runSchedule({ MAILBOX_POLL_INTERVAL_SECONDS: "1", MAILBOX_BACKSTOP_POLL_SECONDS: "3600" });
    await waitFor("the message of the outage", async () => (await listedIds(api, org)).includes(during.id), 11_000);
    expect((await liveStatus(api, org, email)).status).toBe("polling");
    expect(await countMessages(org, email)).toBe(2);
  });

  it("a mailbox connected before live sync existed becomes live through the hourly schedule", async () => {
    const api = liveApi();
    const { org, tenant, email } = await connectedMailbox(api, { name: "legacy", connect: false });
    // The mapping as the previous version stored it: no live state in the mailbox's object.
    await env.DB.prepare(
      "INSERT INTO outlook_mailboxes (org_id, email, tenant_id, provider, shared_inbox_id, connected_at) VALUES (?, ?, ?, 'outlook', 'default', ?)",
    )
      .bind(org, email, tenant, new Date(Date.now() - 86_400_000).toISOString())
      .run();
    const before = await liveStatus(api, org, email);
    expect(before).toMatchObject({ status: "paused", subscriptions: [], last_delta_at: null });
    // Mail that arrived since the connect (yesterday) and mail arriving now are both picked up.
    const missed = await addGraphMessage(email, {
      subject: "arrived an hour ago",
      received: new Date(Date.now() - 3_600_000).toISOString(),
    });
    await runSchedule({ MAILBOX_POLL_INTERVAL_SECONDS: "1" });
    await waitFor("the backfill", async () => (await listedIds(api, org)).includes(missed.id), 11_000);
    const fresh = await addGraphMessage(email, { subject: "new" });
    await waitFor("the new message", async () => (await listedIds(api, org)).includes(fresh.id), 11_000);
    expect((await liveStatus(api, org, email)).status).toBe("polling");
    // Idempotent: another schedule run changes nothing.
    await runSchedule({ MAILBOX_POLL_INTERVAL_SECONDS: "1" });
    await pause(1_500);
    expect(await countMessages(org, email)).toBe(2);
  });
});
