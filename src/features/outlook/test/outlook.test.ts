import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import {
  browse,
  CALLBACK,
  CONNECT,
  DISCONNECT,
  expectOutlookError,
  expectUnavailable,
  FlowBrowser,
  MOCK,
  type MockUser,
  newTenant,
  newUser,
  rows,
  STATUS,
  status,
  tenantReport,
  testEnv,
} from "@test/helpers/outlook-flow";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { servicesFor } from "@/entry/services";
import { getAccessToken } from "@/features/outlook";
import { OUTLOOK_SCOPES } from "@/features/outlook/config";
import {
  DisconnectOutlookResponseSchema,
  OAuthCallbackResponseSchema,
  OutlookConnectionsResponseSchema,
} from "@/features/outlook/outlook.schemas";
import { hashState } from "@/features/outlook/secrets";
import type { AppEnv } from "@/lib/types";

/**
 * Microsoft 365 connection against a real OAuth 2.0 / OpenID server (oauth2-mock-server behind
 * Microsoft's paths, test/servers/oauth-server.ts). Each test uses its own org, random tenants and its
 * own browser (test/helpers/outlook-flow.ts), which carries the flow cookie from connect to callback.
 * The browser binding itself (login CSRF) is tested in outlook-csrf.test.ts, tokens after the flow in
 * outlook-tokens.test.ts.
 */

let browser: FlowBrowser;
beforeEach(() => {
  browser = new FlowBrowser();
});

const authorizationUrl = (org: string, user?: string) => browser.authorizationUrl(org, user);
/** The redirect reaches the Worker in the browser that started the flow: no bearer token. */
const callback = (pathAndQuery: string, options: { env?: Partial<AppEnv> } = {}) =>
  browser.callback(pathAndQuery, options);
const connectAs = (org: string, user: MockUser) => browser.connectAs(org, user);

afterEach(() => {
  vi.restoreAllMocks();
});

describe("connect -> callback -> status", () => {
  it("builds Microsoft's authorize URL with PKCE S256, the mailbox scopes and a one-time state", async () => {
    const org = uniqueOrg();
    const url = new URL(await authorizationUrl(org));
    expect(`${url.origin}${url.pathname}`).toBe(`${MOCK}/organizations/oauth2/v2.0/authorize`);
    const params = url.searchParams;
    expect(params.get("client_id")).toBe(testEnv.MS_CLIENT_ID);
    expect(params.get("response_type")).toBe("code");
    expect(params.get("response_mode")).toBe("query");
    expect(params.get("redirect_uri")).toBe(testEnv.MS_REDIRECT_URI);
    expect(params.get("scope")).toBe(
      "offline_access openid profile email User.Read Mail.ReadWrite Mail.ReadWrite.Shared Mail.Send Mail.Send.Shared",
    );
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // At least 128 random bits: 32 bytes, base64url.
    const state = params.get("state") ?? "";
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new URL(await authorizationUrl(org)).searchParams.get("state")).not.toBe(state);

    // Stored hashed, bound to org and user, expiring in 10 minutes, with the verifier sealed.
    const [row] = await rows("SELECT * FROM outlook_oauth_states WHERE state_hash = ?", hashState(state));
    expect(row).toMatchObject({ org_id: org, user_id: "epilot-user-1", flow: "authorize", tenant_id: "organizations" });
    expect(row?.used_at).toBeNull();
    const ttl = Date.parse(String(row?.expires_at)) - Date.parse(String(row?.created_at));
    expect(ttl).toBe(10 * 60 * 1000);
    expect(String(row?.code_verifier_sealed)).toMatch(/^v1\.k2\./);
  });

  it("stores the tenant's connection and reports it", async () => {
    const org = uniqueOrg();
    const tid = await newTenant();
    const user = await newUser(tid, { name: "Grace Hopper" });

    const result = await connectAs(org, user);
    expect(result.connected).toBe(true);
    expect(Date.parse(result.expires_at ?? "")).toBeGreaterThan(Date.now());
    expect(result.scope?.split(" ")).toEqual(expect.arrayContaining(["Mail.ReadWrite", "Mail.Send", "User.Read"]));

    const { connections, has_connections } = await status(org);
    expect(has_connections).toBe(true);
    expect(connections).toHaveLength(1);
    expect(connections[0]).toMatchObject({
      status: "connected",
      action: "none",
      tenant_id: tid,
      connected_by_user_id: user.oid,
      connected_by_display_name: "Grace Hopper",
      connected_by_email: user.login,
      expires_at: result.expires_at,
      is_token_valid: true,
    });
    expect(connections[0]?.scopes).toEqual(expect.arrayContaining([...OUTLOOK_SCOPES]));
    expect(Date.parse(connections[0]?.connected_at ?? "")).not.toBeNaN();
    expect(Date.parse(connections[0]?.updated_at ?? "")).not.toBeNaN();

    // Another org sees nothing of it.
    expect(await status(uniqueOrg())).toEqual({ connections: [], has_connections: false });
  });

  it("sends the PKCE verifier, the redirect URI and the client secret on the code exchange", async () => {
    const org = uniqueOrg();
    const tid = await newTenant();
    const user = await newUser(tid);
    const url = new URL(await authorizationUrl(org));
    await callback(await browse(url.toString(), user.login));

    const report = await tenantReport(tid);
    const exchanges = report.requests.filter((r) => r.grant_type === "authorization_code");
    expect(exchanges).toHaveLength(1);
    const [exchange] = exchanges;
    expect(exchange).toMatchObject({
      tenant_segment: "organizations",
      redirect_uri: testEnv.MS_REDIRECT_URI,
      client_auth: "basic",
      code_challenge: url.searchParams.get("code_challenge"),
      code_challenge_method: "S256",
      outcome: "ok",
    });
    const verifier = exchange?.code_verifier ?? "";
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(encodeBase64urlNoPadding(sha256(new TextEncoder().encode(verifier)))).toBe(
      url.searchParams.get("code_challenge"),
    );
  });

  it("answers the callback without a bearer token, and every other operation only with one", async () => {
    expectError(await call("GET", CONNECT, { token: null }), 401);
    expectError(await call("GET", STATUS, { token: null }), 401);
    expectError(await call("POST", DISCONNECT, { token: null, body: { tenant_id: "x" } }), 401);
    // Reaches the handler (the state check), not the auth middleware.
    expectOutlookError(await callback(`${CALLBACK}?state=unknown&code=abc`), 400, "invalid_state");
  });
});

describe("id_token validation", () => {
  const otherTenant = crypto.randomUUID();
  it.each([
    ["a foreign audience", { id_token_claims: { aud: "someone-else" } }, /audience/],
    ["an issuer of another tenant", { id_token_claims: { iss: `${MOCK}/${otherTenant}/v2.0` } }, /iss does not match/],
    ["an expired token", { id_token_claims: { exp: Math.floor(Date.now() / 1000) - 3600 } }, /expired/],
    ["no oid", { id_token_claims: { oid: null } }, /oid/],
    ["an unknown signing key", { id_token_kid: "not-published" }, /signing key is unknown/],
    ["a broken signature", { id_token_tamper: true }, /signature is invalid/],
  ])("refuses an id_token with %s and stores nothing", async (_name, config, message) => {
    const org = uniqueOrg();
    const tid = await newTenant(config);
    const user = await newUser(tid);
    const response = await callback(await browse(await authorizationUrl(org), user.login));
    const body = expectOutlookError(response, 400, "invalid_id_token");
    expect(body.error_description).toMatch(message);
    expect((await status(org)).connections).toEqual([]);
    const [attempt] = await rows("SELECT * FROM outlook_oauth_attempts WHERE org_id = ? AND outcome = 'failed'", org);
    expect(attempt).toMatchObject({ error: "invalid_id_token" });
  });
});

describe("state", () => {
  it("is single use: a replayed callback is refused and changes nothing", async () => {
    const org = uniqueOrg();
    const tid = await newTenant();
    const user = await newUser(tid);
    const back = await browse(await authorizationUrl(org), user.login);
    expectBody(await callback(back), 200, OAuthCallbackResponseSchema);
    const before = await rows("SELECT * FROM outlook_connections WHERE org_id = ?", org);
    const attempts = await rows("SELECT * FROM outlook_oauth_attempts WHERE org_id = ?", org);

    const replay = expectOutlookError(await callback(back), 400, "invalid_state");
    expect(replay.error_description).toMatch(/unknown, expired or was already used/);
    expect((await tenantReport(tid)).counters.authorization_code).toBe(1);
    expect(await rows("SELECT * FROM outlook_connections WHERE org_id = ?", org)).toEqual(before);
    expect(await rows("SELECT * FROM outlook_oauth_attempts WHERE org_id = ?", org)).toEqual(attempts);
  });

  it("expires after 10 minutes", async () => {
    const org = uniqueOrg();
    const tid = await newTenant();
    const user = await newUser(tid);
    const url = await authorizationUrl(org);
    const state = new URL(url).searchParams.get("state") ?? "";
    await rows(
      "UPDATE outlook_oauth_states SET expires_at = ? WHERE state_hash = ?",
      new Date(Date.now() - 1000).toISOString(),
      hashState(state),
    );
    const back = await browse(url, user.login);
    expectOutlookError(await callback(back), 400, "invalid_state");
    expect((await tenantReport(tid)).counters.authorization_code).toBe(0);
    expect(await rows("SELECT * FROM outlook_connections WHERE org_id = ?", org)).toEqual([]);
    const [stateRow] = await rows("SELECT used_at FROM outlook_oauth_states WHERE state_hash = ?", hashState(state));
    expect(stateRow?.used_at).toBeNull();
  });

  it("refuses forged and missing states and stores nothing", async () => {
    const org = uniqueOrg();
    const tid = await newTenant();
    const user = await newUser(tid);
    const back = new URL(await browse(await authorizationUrl(org), user.login), "https://api.test");
    const counts = async () =>
      Promise.all(
        ["outlook_oauth_states", "outlook_oauth_attempts", "outlook_connections"].map(
          async (table) => (await rows(`SELECT count(*) AS n FROM ${table}`))[0]?.n,
        ),
      );
    const before = await counts();

    const forged = new URL(back);
    forged.searchParams.set("state", encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32))));
    expectOutlookError(await callback(`${forged.pathname}${forged.search}`), 400, "invalid_state");
    expectError(await callback(`${CALLBACK}?code=abc`), 400, /state/);
    expectOutlookError(
      await callback(`${CALLBACK}?state=${forged.searchParams.get("state")}&admin_consent=True&tenant=${tid}`),
      400,
      "invalid_state",
    );
    expect(await counts()).toEqual(before);
    expect((await tenantReport(tid)).counters.authorization_code).toBe(0);

    // The genuine state still works afterwards.
    expectBody(await callback(`${back.pathname}${back.search}`), 200, OAuthCallbackResponseSchema);
  });

  it("attaches and marks nothing on a bare admin_consent redirect, whatever its state", async () => {
    const org = uniqueOrg();
    const tid = await newTenant();
    const state = new URL(await authorizationUrl(org)).searchParams.get("state");
    const body = expectOutlookError(
      await callback(`${CALLBACK}?state=${state}&admin_consent=True&tenant=${tid}`),
      400,
      "invalid_request",
    );
    expect(body.error_description).toMatch(/confirmed only by the sign-in code/);
    expect((await tenantReport(tid)).counters.client_credentials).toBe(0);
    expect((await status(org)).connections).toEqual([]);
  });

  it("refuses a callback with both a code and an error", async () => {
    const org = uniqueOrg();
    const state = new URL(await authorizationUrl(org)).searchParams.get("state");
    expectOutlookError(
      await callback(`${CALLBACK}?state=${state}&code=abc&error=access_denied`),
      400,
      "invalid_request",
    );
  });
});

describe("errors from Microsoft", () => {
  it("records a cancelled sign-in and answers 400; connect keeps answering an authorization URL", async () => {
    const org = uniqueOrg();
    const state = new URL(await authorizationUrl(org)).searchParams.get("state");
    const query = new URLSearchParams({
      state: state ?? "",
      error: "access_denied",
      error_description: "AADSTS65004: User declined to consent to access the app.",
      error_subcode: "cancel",
      error_uri: "https://login.microsoftonline.com/error?code=65004",
    });
    const body = expectOutlookError(await callback(`${CALLBACK}?${query}`), 400, "access_denied");
    expect(body.error_description).toMatch(/AADSTS65004/);
    expect(body.admin_consent_url).toBeUndefined();
    const [attempt] = await rows("SELECT * FROM outlook_oauth_attempts WHERE org_id = ? AND outcome = 'failed'", org);
    expect(attempt).toMatchObject({ error: "access_denied", error_subcode: "cancel", consent_required: 0 });
    await authorizationUrl(org);
  });

  it("consent_required -> 403 with admin consent URL -> admin consent -> sign-in -> connected", async () => {
    const org = uniqueOrg();
    const tid = await newTenant({ admin_consent_required: true });
    const user = await newUser(tid);
    const admin = await newUser(tid, { admin: true, name: "Tenant Admin" });

    // The user's sign-in fails: the app needs an administrator's consent.
    const refused = expectOutlookError(
      await callback(await browse(await authorizationUrl(org), user.login)),
      403,
      "consent_required",
    );
    expect(refused.error_description).toMatch(/AADSTS65001/);
    expectAdminConsentUrl(refused.admin_consent_url);

    // From now on connect answers 403 with a fresh admin consent URL.
    const again = expectOutlookError(await browser.connect(org), 403, "consent_required");
    const consentUrl = expectAdminConsentUrl(again.admin_consent_url);
    expect(consentUrl.searchParams.get("state")).not.toBe(
      new URL(refused.admin_consent_url ?? "").searchParams.get("state"),
    );

    // The administrator consents; Microsoft redirects with a code, whose id_token proves the tenant.
    const back = new URL(await browse(consentUrl.toString(), admin.login), "https://api.test");
    expect(back.searchParams.get("code")).toBeTruthy();
    expect(back.searchParams.get("tenant")).toBeNull();
    const done = await callback(`${back.pathname}${back.search}`);
    expect(expectBody(done, 200, OAuthCallbackResponseSchema.strict())).toEqual({ connected: false });
    expect((await tenantReport(tid)).consented).toBe(true);
    // A code proves a sign-in, not an approval: the tenant is not attached by it, the admin's tokens not kept.
    expect((await status(org)).connections).toEqual([]);

    // The consent is no longer missing: connect answers a sign-in URL, and the user's sign-in connects.
    const result = await connectAs(org, user);
    expect(result.connected).toBe(true);
    const connected = await status(org);
    expect(connected.connections).toHaveLength(1);
    expect(connected.connections[0]).toMatchObject({ status: "connected", action: "none", tenant_id: tid });
    expect(await getAccessToken(servicesFor(testEnv), org, tid)).toBe(
      (await tenantReport(tid)).issued.access_tokens.at(-1),
    );
  });

  it("does not trust a forged admin consent redirect: nothing is attached, Microsoft is not asked", async () => {
    const org = uniqueOrg();
    const tid = await newTenant({ admin_consent_required: true });
    const user = await newUser(tid);
    expectOutlookError(await callback(await browse(await authorizationUrl(org), user.login)), 403, "consent_required");
    const consentUrl = new URL(expectOutlookError(await browser.connect(org), 403).admin_consent_url ?? "");

    // Nobody consented, yet the redirect claims so.
    const forged = await callback(
      `${CALLBACK}?admin_consent=True&tenant=${tid}&state=${consentUrl.searchParams.get("state")}`,
    );
    const body = expectOutlookError(forged, 400, "invalid_request");
    expect(body.error_description).toMatch(/confirmed only by the sign-in code/);
    expect((await status(org)).connections).toEqual([]);
    expect((await tenantReport(tid)).counters.client_credentials).toBe(0);
    expect((await tenantReport(tid)).consented).toBe(false);
  });

  it("answers 403 with a new admin consent URL when the administrator declines", async () => {
    const org = uniqueOrg();
    const tid = await newTenant({ admin_consent_required: true });
    const user = await newUser(tid);
    expectOutlookError(await callback(await browse(await authorizationUrl(org), user.login)), 403);
    const consentUrl = expectAdminConsentUrl(expectOutlookError(await browser.connect(org), 403).admin_consent_url);
    // Not an administrator: Microsoft redirects with access_denied.
    const body = expectOutlookError(
      await callback(await browse(consentUrl.toString(), user.login)),
      403,
      "access_denied",
    );
    expectAdminConsentUrl(body.admin_consent_url);
    expect((await status(org)).connections).toEqual([]);
  });
});

/** An admin consent URL as the API issues it: the authorize endpoint, prompt=admin_consent, `.default`, PKCE. */
function expectAdminConsentUrl(value: string | undefined, tenant = "organizations"): URL {
  const url = new URL(value ?? "");
  expect(`${url.origin}${url.pathname}`).toBe(`${MOCK}/${tenant}/oauth2/v2.0/authorize`);
  expect(url.searchParams.get("client_id")).toBe(testEnv.MS_CLIENT_ID);
  expect(url.searchParams.get("redirect_uri")).toBe(testEnv.MS_REDIRECT_URI);
  expect(url.searchParams.get("prompt")).toBe("admin_consent");
  expect(url.searchParams.get("response_type")).toBe("code");
  expect(url.searchParams.get("code_challenge_method")).toBe("S256");
  expect(url.searchParams.get("scope")?.split(" ")).toEqual(
    expect.arrayContaining(["https://graph.microsoft.com/.default", "openid"]),
  );
  expect(url.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return url;
}

describe("several tenants", () => {
  it("keeps one connection per tenant in one org", async () => {
    const org = uniqueOrg();
    const [t1, t2] = [await newTenant(), await newTenant()];
    const [u1, u2] = [await newUser(t1, { name: "One" }), await newUser(t2, { name: "Two" })];
    await connectAs(org, u1);
    await connectAs(org, u2);
    // Connecting the same tenant again replaces its tokens, it does not add a connection.
    await connectAs(org, u1);

    const { connections, has_connections } = await status(org);
    expect(has_connections).toBe(true);
    expect(connections.map((c) => [c.tenant_id, c.connected_by_display_name, c.status]).sort()).toEqual(
      [
        [t1, "One", "connected"],
        [t2, "Two", "connected"],
      ].sort(),
    );
    const [a, b] = [
      await getAccessToken(servicesFor(testEnv), org, t1),
      await getAccessToken(servicesFor(testEnv), org, t2),
    ];
    expect(a).toBe((await tenantReport(t1)).issued.access_tokens.at(-1));
    expect(b).toBe((await tenantReport(t2)).issued.access_tokens.at(-1));
    expect(a).not.toBe(b);
  });
});

describe("disconnect", () => {
  it("deletes the connection and its tokens", async () => {
    const org = uniqueOrg();
    const [t1, t2] = [await newTenant(), await newTenant()];
    await connectAs(org, await newUser(t1));
    await connectAs(org, await newUser(t2));

    // Another org cannot remove it.
    expectError(await call("POST", DISCONNECT, { org: uniqueOrg(), body: { tenant_id: t1 } }), 404);

    const body = expectBody(
      await call("POST", DISCONNECT, { org, body: { tenant_id: t1 } }),
      200,
      DisconnectOutlookResponseSchema.strict(),
    );
    expect(body).toEqual({ success: true, tenant_id: t1, affected_shared_inboxes: [] });
    expect(await rows("SELECT * FROM outlook_connections WHERE org_id = ? AND tenant_id = ?", org, t1)).toEqual([]);
    expect((await status(org)).connections.map((c) => c.tenant_id)).toEqual([t2]);
    await expectUnavailable(getAccessToken(servicesFor(testEnv), org, t1), "not_connected");

    expectError(await call("POST", DISCONNECT, { org, body: { tenant_id: t1 } }), 404, /No Microsoft 365 connection/);
    expectError(await call("POST", DISCONNECT, { org, body: {} }), 400, /tenant_id/);
  });
});

describe("configuration", () => {
  it.each([
    ["MS_CLIENT_ID", { MS_CLIENT_ID: "" }],
    ["MS_CLIENT_SECRET", { MS_CLIENT_SECRET: undefined }],
    ["MS_REDIRECT_URI", { MS_REDIRECT_URI: "" }],
    ["TOKEN_ENCRYPTION_KEYS", { TOKEN_ENCRYPTION_KEYS: undefined }],
  ] as const)("answers 503 naming a missing %s", async (name, override) => {
    expectError(await call("GET", CONNECT, { env: override }), 503, new RegExp(`set .*${name}`));
  });

  it("answers 503 for an unusable encryption key, naming the var but not the key", async () => {
    const message = expectError(
      await call("GET", CONNECT, { env: { TOKEN_ENCRYPTION_KEYS: "k1:c2hvcnQ=" } }),
      503,
      /TOKEN_ENCRYPTION_KEYS/,
    );
    expect(message).not.toContain("c2hvcnQ");
  });

  it("answers the callback 503 without spending the state", async () => {
    const org = uniqueOrg();
    const tid = await newTenant();
    const back = await browse(await authorizationUrl(org), (await newUser(tid)).login);
    expectError(await callback(back, { env: { MS_CLIENT_SECRET: undefined } }), 503, /MS_CLIENT_SECRET/);
    expectBody(await callback(back), 200, OAuthCallbackResponseSchema);
  });

  it("lists and disconnects without the Microsoft settings", async () => {
    const env = { MS_CLIENT_ID: "", MS_CLIENT_SECRET: undefined, TOKEN_ENCRYPTION_KEYS: undefined };
    expect(expectBody(await call("GET", STATUS, { env }), 200, OutlookConnectionsResponseSchema).connections).toEqual(
      [],
    );
    expectError(await call("POST", DISCONNECT, { env, body: { tenant_id: "t" } }), 404);
  });
});
