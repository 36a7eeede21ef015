import { env } from "cloudflare:workers";
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "@/lib/errors";
import type { AppEnv } from "@/lib/types";
import {
  ConnectOutlookResponseSchema,
  DisconnectOutlookResponseSchema,
  OAuthCallbackResponseSchema,
  OutlookConnectionErrorSchema,
  OutlookConnectionsResponseSchema,
} from "@/schemas/outlook";
import { open, seal } from "@/services/crypto/sealing";
import { getAccessToken, OutlookTokenUnavailableError } from "@/services/microsoft";
import { cleanupOAuthState } from "@/services/microsoft/cleanup";
import { OUTLOOK_SCOPES } from "@/services/microsoft/config";
import { hashState, sealContext } from "@/services/microsoft/store";
import { type ApiResponse, call, expectBody, expectError, uniqueOrg } from "./helpers/api";

/**
 * Microsoft 365 connection against a real OAuth 2.0 / OpenID server (oauth2-mock-server behind
 * Microsoft's paths, test/servers/oauth-server.ts). Each test uses its own org and random tenants.
 */

const testEnv = env as unknown as AppEnv & { TEST_MS_ADMIN_URL: string };
const MOCK = testEnv.TEST_MS_ADMIN_URL;

const CONNECT = "/v2/outlook/connect";
const CALLBACK = "/v2/outlook/oauth/callback";
const STATUS = "/v2/outlook/connection/status";
const DISCONNECT = "/v2/outlook/connection/disconnect";

interface MockUser {
  login: string;
  tid: string;
  oid: string;
  name: string;
}

interface TenantReport {
  consented: boolean;
  counters: { authorization_code: number; refresh_token: number; client_credentials: number };
  requests: {
    grant_type: string;
    tenant_segment: string;
    client_auth: string;
    redirect_uri?: string;
    code_verifier?: string;
    code_challenge?: string;
    code_challenge_method?: string;
    outcome: string;
  }[];
  issued: { access_tokens: string[]; refresh_tokens: string[]; id_tokens: string[] };
}

async function mockPost(path: string, body: unknown) {
  const response = await fetch(`${MOCK}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.ok, await response.clone().text()).toBe(true);
  return response.json();
}

async function newTenant(config: Record<string, unknown> = {}) {
  const tid = crypto.randomUUID();
  await mockPost(`/__tenants/${tid}`, config);
  return tid;
}

async function newUser(tid: string, options: { admin?: boolean; name?: string } = {}): Promise<MockUser> {
  const oid = crypto.randomUUID();
  const user = {
    login: `user-${oid.slice(0, 8)}@${tid.slice(0, 8)}.example.com`,
    tid,
    oid,
    name: options.name ?? "Ada Lovelace",
  };
  await mockPost("/__users", { ...user, admin: options.admin ?? false });
  return user;
}

async function tenantReport(tid: string): Promise<TenantReport> {
  return (await fetch(`${MOCK}/__tenants/${tid}`)).json();
}

const ErrorBody = OutlookConnectionErrorSchema.strict();

function expectOutlookError(response: ApiResponse, status: 400 | 403, error?: string) {
  const body = expectBody(response, status, ErrorBody);
  expect(body.status).toBe(status);
  if (error) expect(body.error).toBe(error);
  return body;
}

async function authorizationUrl(org: string, user = "epilot-user-1") {
  return expectBody(await call("GET", CONNECT, { org, user }), 200, ConnectOutlookResponseSchema.strict())
    .authorization_url;
}

/** The user's browser: opens Microsoft's URL as `login`, follows nothing, returns the redirect back. */
async function browse(url: string, login: string): Promise<string> {
  const target = new URL(url);
  target.searchParams.set("login_hint", login);
  const response = await fetch(target, { redirect: "manual" });
  await response.body?.cancel();
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get("location") ?? "");
  expect(`${location.origin}${location.pathname}`).toBe(testEnv.MS_REDIRECT_URI);
  return `${location.pathname}${location.search}`;
}

/** The redirect reaches the Worker: no bearer token, only the query. */
const callback = (pathAndQuery: string, options: { env?: Partial<AppEnv> } = {}) =>
  call("GET", pathAndQuery, { token: null, ...options });

async function connectAs(org: string, user: MockUser) {
  const back = await browse(await authorizationUrl(org), user.login);
  return expectBody(await callback(back), 200, OAuthCallbackResponseSchema.strict());
}

async function status(org: string) {
  return expectBody(await call("GET", STATUS, { org }), 200, OutlookConnectionsResponseSchema.strict());
}

async function rows(sql: string, ...params: unknown[]) {
  return (
    await testEnv.DB.prepare(sql)
      .bind(...params)
      .all<Record<string, unknown>>()
  ).results;
}

async function expectUnavailable(promise: Promise<unknown>, reason: string) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OutlookTokenUnavailableError);
  expect((err as OutlookTokenUnavailableError).reason).toBe(reason);
  expect((err as OutlookTokenUnavailableError).status).toBe(409);
}

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

  it("only serves the flow it was issued for", async () => {
    const org = uniqueOrg();
    const tid = await newTenant();
    const state = new URL(await authorizationUrl(org)).searchParams.get("state");
    // A sign-in state cannot carry an admin consent.
    const body = expectOutlookError(
      await callback(`${CALLBACK}?state=${state}&admin_consent=True&tenant=${tid}`),
      400,
      "invalid_request",
    );
    expect(body.error_description).toMatch(/not issued for an admin consent/);
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

  it("consent_required -> 403 with admin consent URL -> admin consent -> pending_auth -> sign-in -> connected", async () => {
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
    const again = expectOutlookError(await call("GET", CONNECT, { org }), 403, "consent_required");
    const consentUrl = expectAdminConsentUrl(again.admin_consent_url);
    expect(consentUrl.searchParams.get("state")).not.toBe(
      new URL(refused.admin_consent_url ?? "").searchParams.get("state"),
    );

    // The administrator consents; Microsoft redirects with admin_consent=True&tenant=...
    const back = await browse(consentUrl.toString(), admin.login);
    expect(new URL(back, "https://api.test").searchParams.get("tenant")).toBe(tid);
    expect(expectBody(await callback(back), 200, OAuthCallbackResponseSchema.strict())).toEqual({ connected: false });
    // Proven with a client-credentials token for that tenant.
    const report = await tenantReport(tid);
    expect(report.requests.filter((r) => r.grant_type === "client_credentials").map((r) => r.outcome)).toEqual(["ok"]);

    const pending = await status(org);
    expect(pending.connections).toHaveLength(1);
    expect(pending.connections[0]).toMatchObject({
      status: "pending_auth",
      action: "authorize",
      tenant_id: tid,
      is_token_valid: false,
    });
    expect(pending.connections[0]?.expires_at).toBeUndefined();
    await expectUnavailable(getAccessToken(testEnv, org, tid), "pending_auth");

    // Now a user's sign-in completes the connection.
    const result = await connectAs(org, user);
    expect(result.connected).toBe(true);
    const connected = await status(org);
    expect(connected.connections).toHaveLength(1);
    expect(connected.connections[0]).toMatchObject({ status: "connected", action: "none", tenant_id: tid });
    expect(await getAccessToken(testEnv, org, tid)).toBe((await tenantReport(tid)).issued.access_tokens.at(-1));
  });

  it("does not trust a forged admin consent redirect: consent is proven with Microsoft first", async () => {
    const org = uniqueOrg();
    const tid = await newTenant({ admin_consent_required: true });
    const user = await newUser(tid);
    expectOutlookError(await callback(await browse(await authorizationUrl(org), user.login)), 403, "consent_required");
    const consentUrl = new URL(expectOutlookError(await call("GET", CONNECT, { org }), 403).admin_consent_url ?? "");

    // Nobody consented, yet the redirect claims so.
    const forged = await callback(
      `${CALLBACK}?admin_consent=True&tenant=${tid}&state=${consentUrl.searchParams.get("state")}`,
    );
    const body = expectOutlookError(forged, 403, "unauthorized_client");
    expect(body.error_description).toMatch(/could not be confirmed.*AADSTS700016/);
    expectAdminConsentUrl(body.admin_consent_url);
    expect((await status(org)).connections).toEqual([]);
    expect((await tenantReport(tid)).consented).toBe(false);
  });

  it("answers 403 with a new admin consent URL when the administrator declines", async () => {
    const org = uniqueOrg();
    const tid = await newTenant({ admin_consent_required: true });
    const user = await newUser(tid);
    expectOutlookError(await callback(await browse(await authorizationUrl(org), user.login)), 403);
    const consentUrl = expectAdminConsentUrl(
      expectOutlookError(await call("GET", CONNECT, { org }), 403).admin_consent_url,
    );
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

function expectAdminConsentUrl(value: string | undefined): URL {
  const url = new URL(value ?? "");
  expect(`${url.origin}${url.pathname}`).toBe(`${MOCK}/organizations/v2.0/adminconsent`);
  expect(url.searchParams.get("client_id")).toBe(testEnv.MS_CLIENT_ID);
  expect(url.searchParams.get("redirect_uri")).toBe(testEnv.MS_REDIRECT_URI);
  expect(url.searchParams.get("scope")?.split(" ")).toEqual(
    expect.arrayContaining(["https://graph.microsoft.com/Mail.ReadWrite", "https://graph.microsoft.com/Mail.Send"]),
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
    const [a, b] = [await getAccessToken(testEnv, org, t1), await getAccessToken(testEnv, org, t2)];
    expect(a).toBe((await tenantReport(t1)).issued.access_tokens.at(-1));
    expect(b).toBe((await tenantReport(t2)).issued.access_tokens.at(-1));
    expect(a).not.toBe(b);
  });
});

describe("getAccessToken", () => {
  const storedRefreshToken = async (org: string, tid: string) => {
    const [row] = await rows(
      "SELECT refresh_token_sealed FROM outlook_connections WHERE org_id = ? AND tenant_id = ?",
      org,
      tid,
    );
    return open(
      testEnv.TOKEN_ENCRYPTION_KEYS,
      String(row?.refresh_token_sealed),
      sealContext.token(org, tid, "refresh_token"),
    );
  };

  it("hands out the stored token while it is valid for more than 5 minutes", async () => {
    const org = uniqueOrg();
    const tid = await newTenant();
    await connectAs(org, await newUser(tid));
    const token = await getAccessToken(testEnv, org, tid);
    expect(token).toBe((await tenantReport(tid)).issued.access_tokens[0]);
    expect(await getAccessToken(testEnv, org, tid.toUpperCase())).toBe(token);
    expect((await tenantReport(tid)).counters.refresh_token).toBe(0);
  });

  it("refreshes a token expiring within 5 minutes and stores the rotated refresh token", async () => {
    const org = uniqueOrg();
    // Microsoft hands out tokens valid for 2 minutes here: every use needs a refresh.
    const tid = await newTenant({ access_token_ttl: 120 });
    await connectAs(org, await newUser(tid));
    const first = await tenantReport(tid);
    expect(await storedRefreshToken(org, tid)).toBe(first.issued.refresh_tokens[0]);

    const token = await getAccessToken(testEnv, org, tid);
    let report = await tenantReport(tid);
    expect(report.counters.refresh_token).toBe(1);
    expect(token).toBe(report.issued.access_tokens[1]);
    // Stored before the access token came back: the rotated refresh token is in D1.
    expect(await storedRefreshToken(org, tid)).toBe(report.issued.refresh_tokens[1]);

    // The next refresh spends the rotated token (the mock refuses a spent one with invalid_grant).
    const second = await getAccessToken(testEnv, org, tid);
    report = await tenantReport(tid);
    expect(report.counters.refresh_token).toBe(2);
    expect(report.requests.filter((r) => r.grant_type === "refresh_token").map((r) => r.outcome)).toEqual(["ok", "ok"]);
    expect(second).toBe(report.issued.access_tokens[2]);
    expect(await storedRefreshToken(org, tid)).toBe(report.issued.refresh_tokens[2]);
    expect(report.requests.at(-1)).toMatchObject({ tenant_segment: tid, client_auth: "basic" });

    // Once Microsoft hands out a long-lived token again, it is reused.
    await mockPost(`/__tenants/${tid}`, { access_token_ttl: 3600 });
    const third = await getAccessToken(testEnv, org, tid);
    expect(await getAccessToken(testEnv, org, tid)).toBe(third);
    expect((await tenantReport(tid)).counters.refresh_token).toBe(3);
    const [connection] = (await status(org)).connections;
    expect(connection).toMatchObject({ status: "connected", is_token_valid: true });
  });

  it("lets concurrent callers share one refresh: the refresh token is spent once", async () => {
    const org = uniqueOrg();
    const tid = await newTenant({ access_token_ttl: 120 });
    await connectAs(org, await newUser(tid));
    await mockPost(`/__tenants/${tid}`, { access_token_ttl: 3600 });

    const tokens = await Promise.all(Array.from({ length: 8 }, () => getAccessToken(testEnv, org, tid)));
    const report = await tenantReport(tid);
    expect(report.counters.refresh_token).toBe(1);
    expect(new Set(tokens)).toEqual(new Set([report.issued.access_tokens[1]]));
    expect(await storedRefreshToken(org, tid)).toBe(report.issued.refresh_tokens[1]);
    const [row] = await rows(
      "SELECT refresh_lock_id, token_version FROM outlook_connections WHERE org_id = ? AND tenant_id = ?",
      org,
      tid,
    );
    expect(row).toEqual({ refresh_lock_id: null, token_version: 2 });
  });

  it.each([
    ["invalid_grant", "AADSTS50173: The provided grant has expired due to it being revoked."],
    ["interaction_required", "AADSTS50076: Due to a configuration change you must use multi-factor authentication."],
  ])("marks the connection expired on %s; reconnecting restores it", async (error, description) => {
    const org = uniqueOrg();
    const tid = await newTenant({ access_token_ttl: 120 });
    const user = await newUser(tid);
    await connectAs(org, user);
    await mockPost(`/__tenants/${tid}`, { refresh_error: { error, description } });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});

    await expectUnavailable(getAccessToken(testEnv, org, tid), "expired");
    // Expired stays expired: no further refresh attempts.
    await expectUnavailable(getAccessToken(testEnv, org, tid), "expired");
    expect((await tenantReport(tid)).counters.refresh_token).toBe(1);
    const logged = warn.mock.calls.map((args) => String(args[0])).join("\n");
    expect(logged).toContain('"event":"outlook_token_refresh_failed"');
    expect(logged).toContain(`"error":"${error}"`);

    const [connection] = (await status(org)).connections;
    expect(connection).toMatchObject({ status: "expired", action: "reconnect", tenant_id: tid, is_token_valid: false });

    await mockPost(`/__tenants/${tid}`, { refresh_error: null, access_token_ttl: 3600 });
    await connectAs(org, user);
    expect((await status(org)).connections[0]).toMatchObject({ status: "connected", action: "none" });
    expect(await getAccessToken(testEnv, org, tid)).toBe((await tenantReport(tid)).issued.access_tokens.at(-1));
  });

  it("answers 503 for a refresh answer without an access token, keeps the connection and frees the lease", async () => {
    const org = uniqueOrg();
    const tid = await newTenant({ access_token_ttl: 120 });
    await connectAs(org, await newUser(tid));
    await mockPost(`/__tenants/${tid}`, { refresh_incomplete: true });

    const failure = await getAccessToken(testEnv, org, tid).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).status).toBe(503);
    expect((failure as ApiError).message).toMatch(/incomplete token response/);
    const [row] = await rows(
      "SELECT status, refresh_lock_id, token_version FROM outlook_connections WHERE org_id = ? AND tenant_id = ?",
      org,
      tid,
    );
    expect(row).toEqual({ status: "connected", refresh_lock_id: null, token_version: 1 });
  });

  it("refuses unknown connections", async () => {
    await expectUnavailable(getAccessToken(testEnv, uniqueOrg(), crypto.randomUUID()), "not_connected");
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
    await expectUnavailable(getAccessToken(testEnv, org, t1), "not_connected");

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

describe("tokens at rest", () => {
  it("never stores or logs an access token, refresh token, id_token or PKCE verifier in plain text", async () => {
    const log = vi.spyOn(console, "log");
    const org = uniqueOrg();
    const tid = await newTenant({ access_token_ttl: 120 });
    await connectAs(org, await newUser(tid));
    await getAccessToken(testEnv, org, tid);
    await authorizationUrl(org); // a pending state with a sealed verifier

    const report = await tenantReport(tid);
    const verifiers = report.requests.flatMap((r) => (r.code_verifier ? [r.code_verifier] : []));
    const secrets = [
      ...report.issued.access_tokens,
      ...report.issued.refresh_tokens,
      ...report.issued.id_tokens,
      ...verifiers,
    ];
    expect(report.issued.access_tokens.length).toBeGreaterThanOrEqual(2);
    expect(report.issued.refresh_tokens.length).toBeGreaterThanOrEqual(2);
    expect(verifiers.length).toBe(1);
    // A JWT's signature part, alone, is as telling as the whole token.
    const needles = secrets.flatMap((s) => [s, ...s.split(".").filter((part) => part.length >= 20)]);

    const tables = await rows("SELECT name FROM sqlite_master WHERE type = 'table'");
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(["outlook_connections", "outlook_oauth_states", "outlook_oauth_attempts"]),
    );
    let dump = "";
    for (const { name } of tables) {
      const table = String(name);
      if (table.startsWith("_cf_") || table === "sqlite_sequence") continue;
      dump += JSON.stringify(await rows(`SELECT * FROM "${table.replaceAll('"', '""')}"`));
    }
    expect(dump).toContain("v1.k2."); // the sealed values are there
    for (const needle of needles) {
      expect(dump.includes(needle), "a token in plain text in D1").toBe(false);
      expect(dump.includes(encodeBase64(new TextEncoder().encode(needle))), "a token in base64 in D1").toBe(false);
    }

    const logged = log.mock.calls.map((args) => args.map(String).join(" ")).join("\n");
    expect(logged).toContain('"event":"outlook_connected"');
    for (const needle of needles) expect(logged.includes(needle), "a token in a log line").toBe(false);
  });
});

describe("sealing", () => {
  const key = () => encodeBase64(crypto.getRandomValues(new Uint8Array(32)));

  it("seals with the first key, opens with any listed key, and names the key in the ciphertext", async () => {
    const [old, current] = [`k1:${key()}`, `k2:${key()}`];
    const sealed = await seal(old, "secret", "ctx");
    expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("secret");
    // After rotation: k2 seals, k1 still opens.
    const rotated = `${current},${old}`;
    expect(await open(rotated, sealed, "ctx")).toBe("secret");
    expect(await seal(rotated, "secret", "ctx")).toMatch(/^v1\.k2\./);
    // Once k1 is dropped, its values no longer open.
    await expect(open(current, sealed, "ctx")).rejects.toThrow(/needs key 'k1'/);
  });

  it("binds a sealed value to its context and detects tampering", async () => {
    const keys = `k1:${key()}`;
    const sealed = await seal(keys, "secret", "org-a/tenant-1/refresh_token");
    await expect(open(keys, sealed, "org-b/tenant-1/refresh_token")).rejects.toThrow(/does not open/);
    const parts = sealed.split(".");
    const ct = parts[3] ?? "";
    parts[3] = (ct[0] === "A" ? "B" : "A") + ct.slice(1);
    await expect(open(keys, parts.join("."), "org-a/tenant-1/refresh_token")).rejects.toThrow(/does not open/);
  });

  it.each([
    ["", /not configured/],
    ["k1", /entry 1/],
    ["k1:c2hvcnQ=", /32 bytes/],
    ["k1:@@@", /32 bytes/],
  ])("refuses the key list %j with a 503", async (config, message) => {
    const err = await seal(config, "x", "c").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ status: 503 });
    expect(String((err as Error).message)).toMatch(message);
  });

  it("refuses a duplicate key id", async () => {
    const k = key();
    await expect(seal(`k1:${k},k1:${k}`, "x", "c")).rejects.toThrow(/listed twice/);
  });
});

describe("cleanup", () => {
  it("removes expired states and attempts and keeps live ones", async () => {
    const org = uniqueOrg();
    const live = new URL(await authorizationUrl(org)).searchParams.get("state") ?? "";
    const old = new URL(await authorizationUrl(org)).searchParams.get("state") ?? "";
    const past = new Date(Date.now() - 60_000).toISOString();
    await rows("UPDATE outlook_oauth_states SET expires_at = ? WHERE state_hash = ?", past, hashState(old));
    await rows("UPDATE outlook_oauth_attempts SET expires_at = ? WHERE state_hash = ?", past, hashState(old));

    const removed = await cleanupOAuthState(testEnv);
    expect(removed.states).toBeGreaterThanOrEqual(1);
    expect(removed.attempts).toBeGreaterThanOrEqual(1);
    const remaining = await rows("SELECT state_hash FROM outlook_oauth_states WHERE org_id = ?", org);
    expect(remaining.map((r) => r.state_hash)).toEqual([hashState(live)]);
    const attempts = await rows("SELECT state_hash FROM outlook_oauth_attempts WHERE org_id = ?", org);
    expect(attempts.map((r) => r.state_hash)).toEqual([hashState(live)]);
  });
});
