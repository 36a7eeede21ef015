import { expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { deliverBatch, received, rows, script, WEBHOOKS, webhookHarness } from "@test/helpers/webhook-harness";
import { expectRejected, expectVerified } from "@test/helpers/webhook-verify";
import { describe, expect, it } from "vitest";
import { TestWebhookEventSchema, WebhookDeliverySchema, WebhookSchema } from "@/features/webhooks/webhooks.schemas";

/**
 * Delivery of webhook events through the queue to a real receiver on loopback, every request verified
 * with the `standardwebhooks` package: signatures, retries with a stable webhook-id, 410, Retry-After,
 * timeouts, redirects, the delivery log and redelivery.
 */

describe("sendTestWebhookEvent", () => {
  it("delivers a webhook.test event that standardwebhooks verifies", async () => {
    const h = webhookHarness();
    const org = uniqueOrg("wh");
    const hook = await h.createWebhook(org);
    const sent = expectBody(await h.api("POST", `${WEBHOOKS}/${hook.id}/test`, { org }), 202, TestWebhookEventSchema);
    expect(h.queue.pending).toHaveLength(1);
    await h.drain();

    const [request, ...more] = await received(hook.name);
    expect(more).toEqual([]);
    if (!request) throw new Error("nothing received");
    const payload = expectVerified(hook.secret, request);
    expect(payload).toEqual({
      type: "webhook.test",
      timestamp: sent.event.timestamp,
      data: { webhook_id: hook.id, message: expect.any(String) },
    });
    expect(request.headers["webhook-id"]).toBe(sent.event_id);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);

    const log = await h.deliveries(org, hook.id);
    expect(log.results).toEqual([
      expect.objectContaining({
        event_id: sent.event_id,
        event_type: "webhook.test",
        status: "delivered",
        attempts: 1,
        last_status_code: 200,
      }),
    ]);
    expect(log.results[0]?.delivered_at).toEqual(expect.any(String));
  });

  it("is refused for a disabled webhook, and a disabled webhook receives no events", async () => {
    const h = webhookHarness();
    const org = uniqueOrg("wh");
    const hook = await h.createWebhook(org);
    const other = await h.createWebhook(org);
    expectBody(await h.api("PATCH", `${WEBHOOKS}/${hook.id}`, { org, body: { enabled: false } }), 200, WebhookSchema);
    expectError(await h.api("POST", `${WEBHOOKS}/${hook.id}/test`, { org }), 409, /disabled: enable it first/);

    // An event every endpoint of the org subscribes to reaches only the enabled one.
    await h.api("POST", `${WEBHOOKS}/${other.id}/test`, { org });
    await h.drain();
    expect(await received(hook.name)).toEqual([]);
    expect(await received(other.name)).toHaveLength(1);
    expect((await h.deliveries(org, hook.id)).results).toEqual([]);
  });
});

describe("retries", () => {
  it("delivers exactly once after two failures, with the same webhook-id every attempt", async () => {
    const h = webhookHarness();
    const org = uniqueOrg("wh");
    const hook = await h.createWebhook(org);
    await script(hook.name, [{ status: 500, body: "boom" }, { status: 502 }]);
    const sent = expectBody(await h.api("POST", `${WEBHOOKS}/${hook.id}/test`, { org }), 202, TestWebhookEventSchema);
    await h.drain();

    const requests = await received(hook.name);
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers["webhook-id"]))).toEqual(new Set([sent.event_id]));
    // Every attempt is signed afresh (its own timestamp) and verifies.
    for (const request of requests) expect(expectVerified(hook.secret, request).type).toBe("webhook.test");
    // The schedule's waits (0,1,1,...): the 2nd and 3rd attempts were queued with 1 s.
    expect(h.queue.delays).toEqual([1, 1]);
    const [delivery] = (await h.deliveries(org, hook.id)).results;
    expect(delivery).toMatchObject({ status: "delivered", attempts: 3, last_status_code: 200, last_error: null });
    expect((await h.webhook(org, hook.id)).failing_since).toBeNull();
  });

  it("keeps the last failure in the log while retrying, and gives up when the schedule is spent", async () => {
    const h = webhookHarness({ WEBHOOK_RETRY_DELAYS_SECONDS: "0,1" });
    const org = uniqueOrg("wh");
    const hook = await h.createWebhook(org);
    await script(hook.name, { repeat: { status: 500, body: "x".repeat(5000) } });
    await h.api("POST", `${WEBHOOKS}/${hook.id}/test`, { org });
    await h.drain();

    expect(await received(hook.name)).toHaveLength(2);
    const [delivery] = (await h.deliveries(org, hook.id)).results;
    expect(delivery).toMatchObject({ status: "failed", attempts: 2, last_status_code: 500, next_attempt_at: null });
    expect(delivery?.last_error).toMatch(/Answered 500/);
    // At most 1 KB of the answer is kept.
    expect(delivery?.last_response_body).toBe("x".repeat(1024));
    const after = await h.webhook(org, hook.id);
    expect(after).toMatchObject({ enabled: true, failing_since: expect.any(String) });
  });

  it("honours Retry-After on 429", async () => {
    const h = webhookHarness();
    const org = uniqueOrg("wh");
    const hook = await h.createWebhook(org);
    await script(hook.name, [{ status: 429, headers: { "retry-after": "120" } }]);
    await h.api("POST", `${WEBHOOKS}/${hook.id}/test`, { org });
    await h.drain();
    expect(h.queue.delays).toEqual([120]);
    expect(await received(hook.name)).toHaveLength(2);
  });

  it("does not follow redirects and gives up on a slow endpoint after the timeout", async () => {
    const h = webhookHarness({ WEBHOOK_TIMEOUT_MS: "300", WEBHOOK_RETRY_DELAYS_SECONDS: "0" });
    const org = uniqueOrg("wh");
    const redirecting = await h.createWebhook(org);
    const slow = await h.createWebhook(org);
    await script(redirecting.name, [{ status: 302, headers: { location: "http://169.254.169.254/latest/meta-data" } }]);
    await script(slow.name, [{ status: 200, delayMs: 3000 }]);
    await h.api("POST", `${WEBHOOKS}/${redirecting.id}/test`, { org });
    await h.api("POST", `${WEBHOOKS}/${slow.id}/test`, { org });
    await h.drain();

    const [redirected] = (await h.deliveries(org, redirecting.id)).results;
    expect(redirected).toMatchObject({ status: "failed", last_status_code: 302 });
    expect(redirected?.last_error).toMatch(/redirects are not followed/);
    const [timedOut] = (await h.deliveries(org, slow.id)).results;
    expect(timedOut).toMatchObject({ status: "failed", last_status_code: null, last_error: "No answer within 300 ms" });
  });

  it("a duplicate queue message sends nothing twice", async () => {
    const h = webhookHarness();
    const org = uniqueOrg("wh");
    const hook = await h.createWebhook(org);
    await h.api("POST", `${WEBHOOKS}/${hook.id}/test`, { org });
    const [message] = h.queue.pending;
    if (!message) throw new Error("nothing queued");
    h.queue.pending.push(structuredClone(message));
    await h.drain();
    expect(await received(hook.name)).toHaveLength(1);
  });
});

describe("disabling", () => {
  it("410 Gone disables the webhook with the reason; later events are not sent", async () => {
    const h = webhookHarness();
    const org = uniqueOrg("wh");
    const hook = await h.createWebhook(org);
    await script(hook.name, [{ status: 410 }]);
    await h.api("POST", `${WEBHOOKS}/${hook.id}/test`, { org });
    await h.drain();
    expect(await received(hook.name)).toHaveLength(1);
    const disabled = await h.webhook(org, hook.id);
    expect(disabled.enabled).toBe(false);
    expect(disabled.disabled_reason).toMatch(/410 Gone/);
    const [delivery] = (await h.deliveries(org, hook.id)).results;
    expect(delivery).toMatchObject({ status: "failed", attempts: 1, last_status_code: 410 });
    expectError(await h.api("POST", `${WEBHOOKS}/${hook.id}/test`, { org }), 409, /disabled/);
  });

  it("a webhook failing for 5 days is disabled and says why", async () => {
    const h = webhookHarness();
    const org = uniqueOrg("wh");
    const hook = await h.createWebhook(org);
    const sixDaysAgo = new Date(Date.now() - 6 * 86_400_000).toISOString();
    await rows("UPDATE webhook_endpoints SET failing_since = ? WHERE id = ?", sixDaysAgo, hook.id);
    await script(hook.name, { repeat: { status: 500 } });
    await h.api("POST", `${WEBHOOKS}/${hook.id}/test`, { org });
    await h.drain();
    expect(await received(hook.name)).toHaveLength(1);
    const disabled = await h.webhook(org, hook.id);
    expect(disabled.enabled).toBe(false);
    expect(disabled.disabled_reason).toContain(`deliveries failed since ${sixDaysAgo} (over 5 days)`);
    // Re-enabling starts afresh.
    const enabled = expectBody(
      await h.api("PATCH", `${WEBHOOKS}/${hook.id}`, { org, body: { enabled: true } }),
      200,
      WebhookSchema,
    );
    expect(enabled).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null });
  });
});

describe("signatures", () => {
  it("a tampered body or an old timestamp is rejected by the verifier", async () => {
    const h = webhookHarness();
    const org = uniqueOrg("wh");
    const hook = await h.createWebhook(org);
    await h.api("POST", `${WEBHOOKS}/${hook.id}/test`, { org });
    await h.drain();
    const [request] = await received(hook.name);
    if (!request) throw new Error("nothing received");
    expectVerified(hook.secret, request);
    expectRejected(
      hook.secret,
      { ...request, body: request.body.replace("webhook.test", "domain.deleted") },
      /No matching signature/,
    );
    const old = String(Number(request.headers["webhook-timestamp"]) - 600);
    expectRejected(hook.secret, { ...request, headers: { ...request.headers, "webhook-timestamp": old } }, /too old/);
    // Another endpoint's secret does not verify it.
    const other = await h.createWebhook(org);
    expectRejected(other.secret, request, /No matching signature/);
  });

  it("after a rotation both secrets verify (two signatures) and the rotated secret is answered once", async () => {
    const h = webhookHarness();
    const org = uniqueOrg("wh");
    const hook = await h.createWebhook(org);
    const rotated = expectBody(
      await h.api("POST", `${WEBHOOKS}/${hook.id}/rotate-secret`, { org }),
      200,
      WebhookWithSecretOnly,
    );
    expect(rotated.secret).not.toBe(hook.secret);
    expect(Date.parse(rotated.previous_secret_expires_at ?? "") - Date.now()).toBeGreaterThan(23 * 3600_000);
    await h.api("POST", `${WEBHOOKS}/${hook.id}/test`, { org });
    await h.drain();
    const [request] = await received(hook.name);
    if (!request) throw new Error("nothing received");
    expect(request.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    expectVerified(hook.secret, request);
    expectVerified(rotated.secret, request);
    const fetched = await h.api("GET", `${WEBHOOKS}/${hook.id}`, { org });
    expect(JSON.stringify(fetched.body)).not.toContain(rotated.secret);

    // Once the 24 hours are over only the new secret signs.
    await rows(
      "UPDATE webhook_endpoints SET previous_secret_expires_at = ? WHERE id = ?",
      new Date(Date.now() - 1000).toISOString(),
      hook.id,
    );
    await h.api("POST", `${WEBHOOKS}/${hook.id}/test`, { org });
    await h.drain();
    const second = (await received(hook.name))[1];
    if (!second) throw new Error("nothing received");
    expect(second.headers["webhook-signature"]?.split(" ")).toHaveLength(1);
    expectVerified(rotated.secret, second);
    expectRejected(hook.secret, second, /No matching signature/);
  });
});

const WebhookWithSecretOnly = WebhookSchema.extend({ secret: WebhookSchema.shape.id });

describe("listWebhookDeliveries and redeliverWebhookEvent", () => {
  it("pages newest first and redelivers an event with the same webhook-id", async () => {
    const h = webhookHarness();
    const org = uniqueOrg("wh");
    const hook = await h.createWebhook(org);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const sent = expectBody(await h.api("POST", `${WEBHOOKS}/${hook.id}/test`, { org }), 202, TestWebhookEventSchema);
      ids.push(sent.event_id);
    }
    await h.drain();
    const first = await h.deliveries(org, hook.id, "?limit=2");
    expect(first.results.map((d) => d.event_id)).toEqual([ids[2], ids[1]]);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await h.deliveries(org, hook.id, `?limit=2&cursor=${first.next_cursor}`);
    expect(second.results.map((d) => d.event_id)).toEqual([ids[0]]);
    expect(second.next_cursor).toBeNull();
    expectError(await h.api("GET", `${WEBHOOKS}/${hook.id}/deliveries?cursor=nonsense`, { org }), 400, /cursor/);

    const again = await h.api("POST", `${WEBHOOKS}/${hook.id}/events/${ids[0]}/redeliver`, { org });
    expect(expectBody(again, 202, WebhookDeliverySchema)).toMatchObject({ status: "pending", attempts: 0 });
    await h.drain();
    const requests = await received(hook.name);
    expect(requests.map((r) => r.headers["webhook-id"])).toEqual([ids[0], ids[1], ids[2], ids[0]]);
    expectError(await h.api("POST", `${WEBHOOKS}/${hook.id}/events/msg_unknown/redeliver`, { org }), 404, /never sent/);
  });
});

describe("recovery", () => {
  it("an attempt whose consumer crashed (lease lapsed, message lost) is re-sent by the sweep", async () => {
    const h = webhookHarness();
    const org = uniqueOrg("wh");
    const hook = await h.createWebhook(org);
    const sent = expectBody(await h.api("POST", `${WEBHOOKS}/${hook.id}/test`, { org }), 202, TestWebhookEventSchema);
    // The consumer took attempt 1 and died: counted, leased, its message gone.
    h.queue.pending.splice(0);
    const past = new Date(Date.now() - 5 * 60_000).toISOString();
    await rows(
      "UPDATE webhook_deliveries SET attempts = 1, locked_until = ?, enqueued_at = ?, next_attempt_at = ? WHERE event_id = ?",
      past,
      past,
      past,
      sent.event_id,
    );
    // Any later batch of the consumer (here the dead-letter queue's, which only acknowledges) sweeps.
    const result = await deliverBatch(h.workerEnv, [], "webhook-deliveries-dlq");
    expect(result.explicitAcks).toEqual([]);
    expect(h.queue.pending.map((m) => m.body.attempt)).toEqual([2]);
    await h.drain();
    const [request] = await received(hook.name);
    expect(request?.headers["webhook-id"]).toBe(sent.event_id);
    expect((await h.deliveries(org, hook.id)).results[0]).toMatchObject({ status: "delivered", attempts: 2 });
  });
});
