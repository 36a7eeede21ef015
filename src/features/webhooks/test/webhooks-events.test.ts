import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { call, expectError, uniqueOrg } from "@test/helpers/api";
import {
  addDomain,
  DOMAIN,
  publishedRecords,
  publishZone,
  requireDnsServers,
  uniqueDomain,
  VERIFY,
} from "@test/helpers/domains";
import { received, rows, testEnv, type WebhookHarness, webhookHarness } from "@test/helpers/webhook-harness";
import { expectVerified } from "@test/helpers/webhook-verify";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { servicesFor } from "@/entry/services";
import { getAccessToken } from "@/features/outlook";
import { saveConnectedTokens } from "@/features/outlook/outlook-connections.store";
import worker from "@/index";
import type { AppEnv } from "@/lib/types";

/**
 * The events the domain and Outlook services emit, written in the same batch as their state change
 * (transactional outbox): delivered when the change commits, never when it fails, only to the org's own
 * subscribed endpoints, and still delivered after a crash between commit and dispatch.
 */

beforeAll(requireDnsServers);

/** Every payload the receiver got at `name`, verified with `secret`. */
async function payloads(name: string, secret: string) {
  return (await received(name)).map((request) => expectVerified(secret, request));
}

async function verifiedDomain(h: WebhookHarness, org: string) {
  const name = uniqueDomain("hook");
  const added = await addDomain(org, name);
  await publishZone(name, publishedRecords(added));
  const verified = await h.api("POST", VERIFY, { org, body: { domain: name } });
  expect(verified.status, JSON.stringify(verified.body)).toBe(200);
  return { name, added };
}

describe("domain events", () => {
  it("domain.verified, then domain.degraded when a record goes, then domain.deleted", async () => {
    const h = webhookHarness();
    const org = uniqueOrg("ev");
    const hook = await h.createWebhook(org);
    const { name, added } = await verifiedDomain(h, org);
    await h.drain();
    // Verifying again changes nothing: no second event.
    await h.api("POST", VERIFY, { org, body: { domain: name } });
    await publishZone(name, publishedRecords(added, ["ownership", "mx", "spf", "dmarc"]));
    await h.api("POST", VERIFY, { org, body: { domain: name } });
    expect((await h.api("DELETE", DOMAIN, { org, body: { domain: name } })).status).toBe(204);
    await h.drain();

    const events = await payloads(hook.name, hook.secret);
    expect(events.map((e) => e.type)).toEqual(["domain.verified", "domain.degraded", "domain.deleted"]);
    expect(events[0]?.data).toEqual({ domain: name, status: "verified", verified_at: expect.any(String) });
    expect(events[1]?.data).toEqual({
      domain: name,
      status: "partially_verified",
      previous_status: "verified",
      failing_records: [expect.stringMatching(/^dkim:/), expect.stringMatching(/^dkim:/)],
    });
    expect(events[2]?.data).toEqual({ domain: name });
    for (const event of events) expect(new TextEncoder().encode(JSON.stringify(event)).length).toBeLessThan(20_000);
  });

  it("a change that fails emits nothing: delete refused while addresses use the domain", async () => {
    const h = webhookHarness();
    const org = uniqueOrg("ev");
    const hook = await h.createWebhook(org);
    const name = uniqueDomain("hook");
    await addDomain(org, name);
    expect(
      (await call("POST", "/v2/email-settings/email-addresses", { org, body: { address: `sales@${name}` } })).status,
    ).toBe(201);
    expectError(await h.api("DELETE", DOMAIN, { org, body: { domain: name } }), 409);
    await h.drain();
    expect(await rows("SELECT id FROM webhook_events WHERE org_id = ?", org)).toEqual([]);
    expect(await received(hook.name)).toEqual([]);
  });

  it("the legacy DELETE /v1/email-settings of an email_domain follows the domain rules and emits domain.deleted", async () => {
    const h = webhookHarness();
    const org = uniqueOrg("ev");
    const hook = await h.createWebhook(org, { event_types: ["domain.deleted"] });
    const name = uniqueDomain("hook");
    const added = await addDomain(org, name);
    const address = await call("POST", "/v2/email-settings/email-addresses", {
      org,
      body: { address: `sales@${name}` },
    });
    expect(address.status).toBe(201);
    const legacy = { org, body: { id: added.id, type: "email_domain" } };
    // Refused while an address uses the domain, like DELETE /v1/email-settings/domain: nothing emitted.
    expectError(await h.api("DELETE", "/v1/email-settings", legacy), 409, /sales@/);
    const addressId = (address.body as { id: string }).id;
    expect((await call("DELETE", `/v2/email-settings/email-addresses/${addressId}`, { org })).status).toBe(204);
    const deleted = await h.api("DELETE", "/v1/email-settings", legacy);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ id: added.id, type: "email_domain", value: name });
    expect(await rows("SELECT setting_id FROM domain_verifications WHERE org_id = ?", org)).toEqual([]);
    await h.drain();
    const events = await payloads(hook.name, hook.secret);
    expect(events.map((e) => [e.type, e.data])).toEqual([["domain.deleted", { domain: name }]]);
  });

  it("a verification refused because another org holds the domain emits nothing", async () => {
    const h = webhookHarness();
    const holder = uniqueOrg("ev-a");
    const rival = uniqueOrg("ev-b");
    const rivalHook = await h.createWebhook(rival);
    const { name, added } = await verifiedDomain(h, holder);
    const rivalAdded = await addDomain(rival, name);
    // The rival now controls the DNS (all its records pass); the holder is still verified in D1.
    await publishZone(name, [...publishedRecords(rivalAdded), ...publishedRecords(added, ["ownership"])]);
    expectError(await h.api("POST", VERIFY, { org: rival, body: { domain: name } }), 409, /verified/);
    await h.drain();
    expect(await received(rivalHook.name)).toEqual([]);
    expect(await rows("SELECT id FROM webhook_events WHERE org_id = ?", rival)).toEqual([]);
  });

  it("org A's events never reach org B's endpoints; type filters apply", async () => {
    const h = webhookHarness();
    const orgA = uniqueOrg("ev-a");
    const orgB = uniqueOrg("ev-b");
    const hookA = await h.createWebhook(orgA);
    const onlyDeleted = await h.createWebhook(orgA, { event_types: ["domain.deleted"] });
    const hookB = await h.createWebhook(orgB);
    await verifiedDomain(h, orgA);
    await h.drain();
    expect((await payloads(hookA.name, hookA.secret)).map((e) => e.type)).toEqual(["domain.verified"]);
    expect(await received(onlyDeleted.name)).toEqual([]);
    expect(await received(hookB.name)).toEqual([]);
    expect(await rows("SELECT id FROM webhook_deliveries WHERE org_id = ?", orgB)).toEqual([]);
  });
});

const tokens = (expiresInMs: number, refreshToken?: string) => ({
  accessToken: "unused-access-token",
  refreshToken,
  expiresAt: new Date(Date.now() + expiresInMs),
  scopes: ["Mail.ReadWrite.Shared"],
});

describe("Outlook connection events", () => {
  it("outlook.connection.connected commits with the connection; a crash before dispatch still delivers", async () => {
    const h = webhookHarness();
    const org = uniqueOrg("ev");
    const hook = await h.createWebhook(org, { event_types: ["outlook.connection.connected"] });
    const tenant = crypto.randomUUID();
    // Stored as the OAuth callback stores it, but nothing dispatches afterwards (the isolate "crashed").
    await saveConnectedTokens(getDb(h.workerEnv.DB), testEnv.TOKEN_ENCRYPTION_KEYS ?? "", {
      orgId: org,
      tenantId: tenant,
      epilotUserId: "user-1",
      identity: { objectId: "oid-1" },
      tokens: tokens(3600_000, "refresh"),
    });
    expect(h.queue.pending).toEqual([]);
    // The hourly cron, two minutes later, finds the undispatched delivery.
    const controller = createScheduledController({ scheduledTime: Date.now(), cron: "0 * * * *" });
    const ctx = createExecutionContext();
    await rows(
      "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE org_id = ?",
      new Date(Date.now() - 120_000).toISOString(),
      org,
    );
    await worker.scheduled(controller, h.workerEnv, ctx);
    await waitOnExecutionContext(ctx);
    await h.drain();
    const [event] = await payloads(hook.name, hook.secret);
    expect(event).toMatchObject({
      type: "outlook.connection.connected",
      data: { tenant_id: tenant, connected_at: expect.any(String) },
    });
  });

  it("outlook.connection.expired when a refresh marks the connection expired", async () => {
    const h = webhookHarness();
    const org = uniqueOrg("ev");
    const hook = await h.createWebhook(org, { event_types: ["outlook.connection.expired"] });
    const tenant = crypto.randomUUID();
    // No refresh token and an access token about to expire: the next use marks the connection expired.
    await saveConnectedTokens(getDb(h.workerEnv.DB), testEnv.TOKEN_ENCRYPTION_KEYS ?? "", {
      orgId: org,
      tenantId: tenant,
      epilotUserId: "user-1",
      identity: { objectId: "oid-1" },
      tokens: tokens(60_000),
    });
    await expect(getAccessToken(servicesFor(h.workerEnv as AppEnv), org, tenant)).rejects.toMatchObject({
      reason: "expired",
    });
    await expect(getAccessToken(servicesFor(h.workerEnv as AppEnv), org, tenant)).rejects.toMatchObject({
      reason: "expired",
    });
    await h.drain();
    const events = await payloads(hook.name, hook.secret);
    expect(events).toEqual([
      {
        type: "outlook.connection.expired",
        timestamp: expect.any(String),
        data: { tenant_id: tenant, reason: "no_refresh_token", action: "reconnect" },
      },
    ]);
  });
});
