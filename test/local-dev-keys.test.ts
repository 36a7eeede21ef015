import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { getDb } from "@/db/client";
import { outlookOAuthStates } from "@/db/schema";
import { ConnectOutlookResponseSchema } from "@/features/outlook/outlook.schemas";
import { TestWebhookEventSchema, WebhookWithSecretSchema } from "@/features/webhooks/webhooks.schemas";
import type { AppEnv } from "@/lib/types";
import { call, expectBody, expectError, uniqueOrg } from "./helpers/api";
import { RECEIVER, received, rows, WEBHOOKS, webhookHarness } from "./helpers/webhook-harness";
import { expectVerified } from "./helpers/webhook-verify";

/**
 * `.dev.vars.example` ships a published token encryption key (id `local-dev-only`) so the Outlook flow and
 * webhooks work under `npm start`. A deployment that carries it by mistake must not seal or open anything
 * with it: not on any request off localhost, and not in queue work unless LOCAL_DEVELOPMENT says the Worker
 * runs on a developer's machine.
 */
const DEV_KEYS = "local-dev-only:REwCIu4jKewkcywpFUGqQ04g0tRI7CygHQhewBhZ7F0=";
const devEnv: Partial<AppEnv> = { TOKEN_ENCRYPTION_KEYS: DEV_KEYS };
const LOCALHOST = "http://localhost:8787";
const DEV_KEY_REFUSED = /development key from \.dev\.vars\.example.*wrangler secret put TOKEN_ENCRYPTION_KEYS/;

async function statesOf(org: string) {
  const rows = await getDb(env.DB).select().from(outlookOAuthStates);
  return rows.filter((row) => row.orgId === org);
}

const webhookRowsOf = (org: string) =>
  rows<{ id: string; secret_sealed: string }>("SELECT id, secret_sealed FROM webhook_endpoints WHERE org_id = ?", org);

describe("the development encryption key off localhost", () => {
  it("is refused by connectOutlook: 503 naming it, nothing sealed, one warning", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const org = uniqueOrg();
    const response = await call("GET", "/v2/outlook/connect", { org, env: devEnv });
    expectError(response, 503, DEV_KEY_REFUSED);
    expect(await statesOf(org)).toEqual([]);
    await call("GET", "/v2/outlook/connect", { org, env: devEnv });
    const warnings = warn.mock.calls.filter(([line]) => String(line).includes("local_dev_encryption_key"));
    expect(warnings.length).toBeLessThanOrEqual(1);
    warn.mockRestore();
  });

  it("is refused by createWebhook: 503 naming it, no webhook stored", async () => {
    const h = webhookHarness(devEnv);
    const org = uniqueOrg("wh");
    const response = await h.api("POST", WEBHOOKS, { org, body: { url: "https://hooks.example.com/in" } });
    expectError(response, 503, DEV_KEY_REFUSED);
    expect(await webhookRowsOf(org)).toEqual([]);
  });

  it("is refused by rotateWebhookSecret: 503, the stored secret unchanged", async () => {
    const org = uniqueOrg("wh");
    const hook = await webhookHarness().createWebhook(org);
    const before = await webhookRowsOf(org);
    const response = await webhookHarness(devEnv).api("POST", `${WEBHOOKS}/${hook.id}/rotate-secret`, { org });
    expectError(response, 503, DEV_KEY_REFUSED);
    expect(await webhookRowsOf(org)).toEqual(before);
  });

  it("leaves the operations that seal nothing alone", async () => {
    const org = uniqueOrg("wh");
    expect((await call("GET", "/v2/email-settings/email-addresses", { org, env: devEnv })).status).toBe(200);
    expect((await webhookHarness(devEnv).api("GET", WEBHOOKS, { org })).status).toBe(200);
  });
});

describe("the development encryption key on a developer's machine", () => {
  it("works for requests to localhost, where npm start runs the Worker", async () => {
    const org = uniqueOrg();
    const response = await call("GET", "/v2/outlook/connect", { org, env: devEnv, baseUrl: LOCALHOST });
    expectBody(response, 200, ConnectOutlookResponseSchema);
    expect(await statesOf(org)).toHaveLength(1);
  });

  it("is refused in queue work without LOCAL_DEVELOPMENT: the delivery is not signed or sent", async () => {
    const h = webhookHarness(devEnv);
    const org = uniqueOrg("wh");
    const hook = await testEventDelivered(h, org);
    expect(await received(hook.name)).toEqual([]);
    const log = await h.api<{ results: { status: string; last_error: string | null }[] }>(
      "GET",
      `${WEBHOOKS}/${hook.id}/deliveries`,
      { org, baseUrl: LOCALHOST },
    );
    expect(log.body.results).toEqual([
      expect.objectContaining({
        status: "failed",
        last_error: expect.stringMatching(/signing secret could not be opened/),
      }),
    ]);
  });

  it("works in queue work with LOCAL_DEVELOPMENT=true, as npm start sets it", async () => {
    const h = webhookHarness({ ...devEnv, LOCAL_DEVELOPMENT: "true" });
    const org = uniqueOrg("wh");
    const hook = await testEventDelivered(h, org);
    const [request] = await received(hook.name);
    if (!request) throw new Error("nothing received");
    expect(expectVerified(hook.secret, request).type).toBe("webhook.test");
  });

  it("is still refused off localhost when LOCAL_DEVELOPMENT=true: the request's host decides", async () => {
    const h = webhookHarness({ ...devEnv, LOCAL_DEVELOPMENT: "true" });
    const org = uniqueOrg("wh");
    const response = await h.api("POST", WEBHOOKS, { org, body: { url: "https://hooks.example.com/in" } });
    expectError(response, 503, /development key/);
    expect(await webhookRowsOf(org)).toEqual([]);
  });
});

/** A local webhook's test event, sent and its queue work run: what the receiver got tells what the queue did. */
async function testEventDelivered(h: ReturnType<typeof webhookHarness>, org: string) {
  const hook = await localWebhook(h, org);
  expectBody(
    await h.api("POST", `${WEBHOOKS}/${hook.id}/test`, { org, baseUrl: LOCALHOST }),
    202,
    TestWebhookEventSchema,
  );
  await h.drain();
  return hook;
}

/** A webhook at the loopback receiver, created through localhost (where the development key seals). */
async function localWebhook(h: ReturnType<typeof webhookHarness>, org: string) {
  const name = `h-${crypto.randomUUID()}`;
  const body = { url: `${RECEIVER}/hooks/${name}` };
  const created = expectBody(
    await h.api("POST", WEBHOOKS, { org, body, baseUrl: LOCALHOST }),
    201,
    WebhookWithSecretSchema,
  );
  return { ...created, name };
}
