import { expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { RECEIVER, received, rows, script, WEBHOOKS, webhookHarness } from "@test/helpers/webhook-harness";
import { describe, expect, it, vi } from "vitest";
import { WebhookListSchema, WebhookSchema, WebhookWithSecretSchema } from "@/features/webhooks/webhooks.schemas";

/** The webhook endpoint operations: create (secret once), read, update, delete, the SSRF guard, tenancy. */

const production = webhookHarness({ WEBHOOK_ALLOW_INSECURE_URLS: "false" });

describe("createWebhook", () => {
  it("answers the whsec_ secret once; it is sealed in D1 and never answered again", async () => {
    const org = uniqueOrg("wh");
    const response = await production.api("POST", WEBHOOKS, {
      org,
      body: { url: "https://hooks.example.com/epilot", event_types: ["domain.verified"], description: "CRM" },
    });
    const created = expectBody(response, 201, WebhookWithSecretSchema.strict());
    expect(created).toMatchObject({
      url: "https://hooks.example.com/epilot",
      event_types: ["domain.verified"],
      description: "CRM",
      enabled: true,
      disabled_reason: null,
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(created.secret.slice(6))).toHaveLength(32);

    const [stored] = await rows<{ secret_sealed: string }>(
      "SELECT secret_sealed FROM webhook_endpoints WHERE id = ?",
      created.id,
    );
    expect(stored?.secret_sealed).toMatch(/^v1\./);
    expect(stored?.secret_sealed).not.toContain(created.secret.slice(6, 30));

    for (const read of [
      await production.api("GET", `${WEBHOOKS}/${created.id}`, { org }),
      await production.api("GET", WEBHOOKS, { org }),
      await production.api("PATCH", `${WEBHOOKS}/${created.id}`, { org, body: { description: "x" } }),
    ]) {
      expect(read.status).toBe(200);
      expect(JSON.stringify(read.body)).not.toContain(created.secret.slice(6));
      expect(JSON.stringify(read.body)).not.toContain('secret"');
    }
    const got = expectBody(
      await production.api("GET", `${WEBHOOKS}/${created.id}`, { org }),
      200,
      WebhookSchema.strict(),
    );
    expect(got).toEqual({ ...created, secret: undefined, description: "x", updated_at: got.updated_at });
  });

  it("subscribes to every type when event_types is omitted, and refuses unknown types", async () => {
    const org = uniqueOrg("wh");
    const all = expectBody(
      await production.api("POST", WEBHOOKS, { org, body: { url: "https://a.example.com/h" } }),
      201,
      WebhookWithSecretSchema,
    );
    expect(all.event_types).toBeNull();
    const bad = await production.api("POST", WEBHOOKS, {
      org,
      body: { url: "https://a.example.com/h", event_types: ["domain.exploded"] },
    });
    expectError(bad, 400, /event_types/);
  });

  it("refuses more than WEBHOOK_ENDPOINTS_PER_ORG_MAX webhooks with 409", async () => {
    const h = webhookHarness({ WEBHOOK_ENDPOINTS_PER_ORG_MAX: "2", WEBHOOK_ALLOW_INSECURE_URLS: "false" });
    const org = uniqueOrg("wh");
    for (let i = 0; i < 2; i++) {
      expect((await h.api("POST", WEBHOOKS, { org, body: { url: `https://h${i}.example.com/` } })).status).toBe(201);
    }
    expectError(
      await h.api("POST", WEBHOOKS, { org, body: { url: "https://h3.example.com/" } }),
      409,
      /already has 2 webhooks/,
    );
    const list = expectBody(await h.api("GET", WEBHOOKS, { org }), 200, WebhookListSchema);
    expect(list.results).toHaveLength(2);
  });
});

describe("the SSRF guard", () => {
  const refused: [string, string, RegExp][] = [
    ["http", "http://hooks.example.com/epilot", /must use https, not http/],
    ["another scheme", "ftp://hooks.example.com/", /must use https, not ftp/],
    ["a private IPv4 address", "https://10.1.2.3/hook", /private \(10\.0\.0\.0\/8\)/],
    ["a private IPv4 address (192.168)", "https://192.168.0.10/hook", /private \(192\.168/],
    [
      "the metadata address",
      "https://169.254.169.254/latest/meta-data",
      /link-local \(169\.254\.0\.0\/16, cloud metadata\)/,
    ],
    ["a CGNAT address", "https://100.64.0.1/", /carrier-grade NAT/],
    ["loopback", "https://127.0.0.1/", /loopback/],
    ["loopback written in hex", "https://0x7f.0.0.1/", /loopback/],
    ["localhost", "https://localhost/hook", /loopback address \(localhost\)/],
    ["a localhost subdomain", "https://api.localhost/hook", /loopback/],
    ["IPv6 loopback", "https://[::1]/", /loopback/],
    ["IPv4-mapped IPv6 metadata", "https://[::ffff:169.254.169.254]/", /link-local/],
    ["IPv6 unique-local (AWS metadata)", "https://[fd00:ec2::254]/", /unique-local/],
    ["IPv6 link-local", "https://[fe80::1]/", /link-local/],
    ["credentials", "https://user:secret@hooks.example.com/", /must not contain credentials/],
    ["a single-label host", "https://intranet/hook", /not a public host name/],
    ["an internal name", "https://billing.internal/hook", /special-use or internal name/],
    ["an over-long URL", `https://hooks.example.com/${"a".repeat(2100)}`, /too long .* at most 2048/],
    ["not a URL", "hooks.example.com", /not a valid absolute URL/],
  ];

  it.each(refused)("refuses %s with 400 on create and update", async (_what, url, message) => {
    const org = uniqueOrg("wh");
    const created = await production.api("POST", WEBHOOKS, { org, body: { url } });
    expect(expectError(created, 400, message)).toMatch(/^Invalid webhook URL: url /);
    const ok = expectBody(
      await production.api("POST", WEBHOOKS, { org, body: { url: "https://ok.example.com/" } }),
      201,
      WebhookWithSecretSchema,
    );
    expectError(await production.api("PATCH", `${WEBHOOKS}/${ok.id}`, { org, body: { url } }), 400, message);
    expect(expectBody(await production.api("GET", `${WEBHOOKS}/${ok.id}`, { org }), 200, WebhookSchema).url).toBe(
      "https://ok.example.com/",
    );
  });

  it("accepts public names and addresses", async () => {
    const org = uniqueOrg("wh");
    for (const url of ["https://hooks.example.com:8443/a?b=c", "https://8.8.8.8/hook", "https://[2606:4700::1111]/"]) {
      expect((await production.api("POST", WEBHOOKS, { org, body: { url } })).status, url).toBe(201);
    }
  });

  it("WEBHOOK_ALLOW_INSECURE_URLS=true allows http and loopback, still not private ranges", async () => {
    const dev = webhookHarness();
    const org = uniqueOrg("wh");
    expect((await dev.api("POST", WEBHOOKS, { org, body: { url: `${RECEIVER}/hooks/x` } })).status).toBe(201);
    expect((await dev.api("POST", WEBHOOKS, { org, body: { url: "http://localhost:8787/h" } })).status).toBe(201);
    expectError(await dev.api("POST", WEBHOOKS, { org, body: { url: "http://169.254.169.254/" } }), 400, /link-local/);
    expectError(await dev.api("POST", WEBHOOKS, { org, body: { url: "http://10.0.0.1/" } }), 400, /private/);
  });

  it("checks again at send: a loopback endpoint is not sent to once insecure URLs are off", async () => {
    const dev = webhookHarness();
    const org = uniqueOrg("wh");
    const hook = await dev.createWebhook(org);
    await dev.api("POST", `${WEBHOOKS}/${hook.id}/test`, { org });
    const strict = webhookHarness({ WEBHOOK_ALLOW_INSECURE_URLS: "false" });
    strict.queue.pending.push(...dev.queue.pending.splice(0));
    await strict.drain();
    const [delivery] = (await strict.deliveries(org, hook.id)).results;
    expect(delivery).toMatchObject({ status: "failed", last_status_code: null });
    expect(delivery?.last_error).toMatch(/^Not sent: url must use https/);
  });
});

describe("getWebhook, updateWebhook, deleteWebhook, tenancy", () => {
  it("another org's webhook is 404 for every operation and is never changed", async () => {
    const orgA = uniqueOrg("wh-a");
    const orgB = uniqueOrg("wh-b");
    const hook = expectBody(
      await production.api("POST", WEBHOOKS, { org: orgA, body: { url: "https://a.example.com/" } }),
      201,
      WebhookWithSecretSchema,
    );
    const path = `${WEBHOOKS}/${hook.id}`;
    expectError(await production.api("GET", path, { org: orgB }), 404, /not found in your organization/);
    expectError(await production.api("PATCH", path, { org: orgB, body: { url: "https://b.example.com/" } }), 404);
    expectError(await production.api("POST", `${path}/rotate-secret`, { org: orgB }), 404);
    expectError(await production.api("POST", `${path}/test`, { org: orgB }), 404);
    expectError(await production.api("GET", `${path}/deliveries`, { org: orgB }), 404);
    expectError(await production.api("DELETE", path, { org: orgB }), 404);
    expect(expectBody(await production.api("GET", WEBHOOKS, { org: orgB }), 200, WebhookListSchema).results).toEqual(
      [],
    );
    const still = expectBody(await production.api("GET", path, { org: orgA }), 200, WebhookSchema);
    expect(still.url).toBe("https://a.example.com/");
  });

  it("updates types and description, deletes with its delivery log", async () => {
    const h = webhookHarness();
    const org = uniqueOrg("wh");
    const hook = await h.createWebhook(org);
    const updated = await h.api("PATCH", `${WEBHOOKS}/${hook.id}`, {
      org,
      body: { event_types: ["domain.deleted", "domain.verified", "domain.deleted"], description: null },
    });
    expect(expectBody(updated, 200, WebhookSchema)).toMatchObject({
      event_types: ["domain.deleted", "domain.verified"],
      description: null,
    });
    await h.api("POST", `${WEBHOOKS}/${hook.id}/test`, { org });
    await h.drain();
    expect((await h.api("DELETE", `${WEBHOOKS}/${hook.id}`, { org })).status).toBe(204);
    expectError(await h.api("GET", `${WEBHOOKS}/${hook.id}`, { org }), 404);
    expect(await rows("SELECT id FROM webhook_deliveries WHERE endpoint_id = ?", hook.id)).toEqual([]);
    expectError(await h.api("DELETE", `${WEBHOOKS}/${hook.id}`, { org }), 404);
  });
});

describe("the event catalogue in /openapi.json", () => {
  it("documents every event type as its own component of the WebhookEvent oneOf", async () => {
    const response = await production.api("GET", "/openapi.json", { token: null });
    expect(response.status).toBe(200);
    const schemas = (response.body as { components: { schemas: Record<string, Record<string, unknown>> } }).components
      .schemas;
    const union = schemas.WebhookEvent as { oneOf: { $ref: string }[]; discriminator?: { propertyName: string } };
    expect(union.discriminator?.propertyName).toBe("type");
    const refs = union.oneOf.map((entry) => entry.$ref.replace("#/components/schemas/", ""));
    expect(refs).toContain("WebhookEventDomainVerified");
    expect(refs).toContain("WebhookEventMessageReceived");
    expect(refs).toHaveLength(13);
    for (const ref of refs) {
      const event = schemas[ref] as { required: string[]; properties: Record<string, unknown> };
      expect(event.required).toEqual(["type", "timestamp", "data"]);
    }
  });
});

describe("secrets in logs", () => {
  it("no log line carries a signing secret, on create, rotation, delivery or failure", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => lines.push(args.map(String).join(" "));
    const spies = (["log", "warn", "error", "info", "debug"] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation(capture),
    );
    try {
      const h = webhookHarness({ WEBHOOK_RETRY_DELAYS_SECONDS: "0,0" });
      const org = uniqueOrg("wh");
      const hook = await h.createWebhook(org);
      const rotated = await h.api<{ secret: string }>("POST", `${WEBHOOKS}/${hook.id}/rotate-secret`, { org });
      await script(hook.name, [{ status: 500 }]);
      await h.api("POST", `${WEBHOOKS}/${hook.id}/test`, { org });
      await h.drain();
      expect(await received(hook.name)).toHaveLength(2);
      for (const secret of [hook.secret, rotated.body.secret]) {
        for (const line of lines) expect(line).not.toContain(secret.slice(6));
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});
