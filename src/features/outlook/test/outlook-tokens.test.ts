import { encodeBase64 } from "@oslojs/encoding";
import { uniqueOrg } from "@test/helpers/api";
import {
  expectUnavailable,
  FlowBrowser,
  type MockUser,
  mockPost,
  newTenant,
  newUser,
  rows,
  status,
  tenantReport,
  testEnv,
} from "@test/helpers/outlook-flow";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { servicesFor } from "@/entry/services";
import { getAccessToken } from "@/features/outlook";
import { cleanupOAuthState } from "@/features/outlook/cleanup";
import { hashState, sealContext } from "@/features/outlook/secrets";
import { ApiError } from "@/lib/errors";
import { open, seal } from "@/shared/crypto/sealing";

/**
 * Microsoft 365 tokens after the connect flow (split from outlook.test.ts): getAccessToken's refresh
 * with rotation and its lease, what is stored and logged, sealing at rest, and the scheduled cleanup.
 */

let browser: FlowBrowser;
beforeEach(() => {
  browser = new FlowBrowser();
});

const authorizationUrl = (org: string) => browser.authorizationUrl(org);
const connectAs = (org: string, user: MockUser) => browser.connectAs(org, user);

afterEach(() => {
  vi.restoreAllMocks();
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
    const token = await getAccessToken(servicesFor(testEnv), org, tid);
    expect(token).toBe((await tenantReport(tid)).issued.access_tokens[0]);
    expect(await getAccessToken(servicesFor(testEnv), org, tid.toUpperCase())).toBe(token);
    expect((await tenantReport(tid)).counters.refresh_token).toBe(0);
  });

  it("refreshes a token expiring within 5 minutes and stores the rotated refresh token", async () => {
    const org = uniqueOrg();
    // Microsoft hands out tokens valid for 2 minutes here: every use needs a refresh.
    const tid = await newTenant({ access_token_ttl: 120 });
    await connectAs(org, await newUser(tid));
    const first = await tenantReport(tid);
    expect(await storedRefreshToken(org, tid)).toBe(first.issued.refresh_tokens[0]);

    const token = await getAccessToken(servicesFor(testEnv), org, tid);
    let report = await tenantReport(tid);
    expect(report.counters.refresh_token).toBe(1);
    expect(token).toBe(report.issued.access_tokens[1]);
    // Stored before the access token came back: the rotated refresh token is in D1.
    expect(await storedRefreshToken(org, tid)).toBe(report.issued.refresh_tokens[1]);

    // The next refresh spends the rotated token (the mock refuses a spent one with invalid_grant).
    const second = await getAccessToken(servicesFor(testEnv), org, tid);
    report = await tenantReport(tid);
    expect(report.counters.refresh_token).toBe(2);
    expect(report.requests.filter((r) => r.grant_type === "refresh_token").map((r) => r.outcome)).toEqual(["ok", "ok"]);
    expect(second).toBe(report.issued.access_tokens[2]);
    expect(await storedRefreshToken(org, tid)).toBe(report.issued.refresh_tokens[2]);
    expect(report.requests.at(-1)).toMatchObject({ tenant_segment: tid, client_auth: "basic" });

    // Once Microsoft hands out a long-lived token again, it is reused.
    await mockPost(`/__tenants/${tid}`, { access_token_ttl: 3600 });
    const third = await getAccessToken(servicesFor(testEnv), org, tid);
    expect(await getAccessToken(servicesFor(testEnv), org, tid)).toBe(third);
    expect((await tenantReport(tid)).counters.refresh_token).toBe(3);
    const [connection] = (await status(org)).connections;
    expect(connection).toMatchObject({ status: "connected", is_token_valid: true });
  });

  it("lets concurrent callers share one refresh: the refresh token is spent once", async () => {
    const org = uniqueOrg();
    const tid = await newTenant({ access_token_ttl: 120 });
    await connectAs(org, await newUser(tid));
    await mockPost(`/__tenants/${tid}`, { access_token_ttl: 3600 });

    const tokens = await Promise.all(Array.from({ length: 8 }, () => getAccessToken(servicesFor(testEnv), org, tid)));
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

    await expectUnavailable(getAccessToken(servicesFor(testEnv), org, tid), "expired");
    // Expired stays expired: no further refresh attempts.
    await expectUnavailable(getAccessToken(servicesFor(testEnv), org, tid), "expired");
    expect((await tenantReport(tid)).counters.refresh_token).toBe(1);
    const logged = warn.mock.calls.map((args) => String(args[0])).join("\n");
    expect(logged).toContain('"event":"outlook_token_refresh_failed"');
    expect(logged).toContain(`"error":"${error}"`);

    const [connection] = (await status(org)).connections;
    expect(connection).toMatchObject({ status: "expired", action: "reconnect", tenant_id: tid, is_token_valid: false });

    await mockPost(`/__tenants/${tid}`, { refresh_error: null, access_token_ttl: 3600 });
    await connectAs(org, user);
    expect((await status(org)).connections[0]).toMatchObject({ status: "connected", action: "none" });
    expect(await getAccessToken(servicesFor(testEnv), org, tid)).toBe(
      (await tenantReport(tid)).issued.access_tokens.at(-1),
    );
  });

  it("answers 503 for a refresh answer without an access token, keeps the connection and frees the lease", async () => {
    const org = uniqueOrg();
    const tid = await newTenant({ access_token_ttl: 120 });
    await connectAs(org, await newUser(tid));
    await mockPost(`/__tenants/${tid}`, { refresh_incomplete: true });

    const failure = await getAccessToken(servicesFor(testEnv), org, tid).catch((err: unknown) => err);
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
    await expectUnavailable(getAccessToken(servicesFor(testEnv), uniqueOrg(), crypto.randomUUID()), "not_connected");
  });
});

describe("tokens at rest", () => {
  it("never stores or logs an access token, refresh token, id_token, PKCE verifier or flow cookie in plain text", async () => {
    const log = vi.spyOn(console, "log");
    const org = uniqueOrg();
    const tid = await newTenant({ access_token_ttl: 120 });
    await connectAs(org, await newUser(tid));
    await getAccessToken(servicesFor(testEnv), org, tid);
    await authorizationUrl(org); // a pending state with a sealed verifier and a browser binding
    const flowCookie = browser.flowCookie ?? "";
    expect(flowCookie).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const report = await tenantReport(tid);
    const verifiers = report.requests.flatMap((r) => (r.code_verifier ? [r.code_verifier] : []));
    const secrets = [
      ...report.issued.access_tokens,
      ...report.issued.refresh_tokens,
      ...report.issued.id_tokens,
      ...verifiers,
      flowCookie,
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

    const removed = await cleanupOAuthState(servicesFor(testEnv));
    expect(removed.states).toBeGreaterThanOrEqual(1);
    expect(removed.attempts).toBeGreaterThanOrEqual(1);
    const remaining = await rows("SELECT state_hash FROM outlook_oauth_states WHERE org_id = ?", org);
    expect(remaining.map((r) => r.state_hash)).toEqual([hashState(live)]);
    const attempts = await rows("SELECT state_hash FROM outlook_oauth_attempts WHERE org_id = ?", org);
    expect(attempts.map((r) => r.state_hash)).toEqual([hashState(live)]);
  });
});
