import { type CallOptions, call, expectError } from "@test/helpers/api";
import { jwksScope } from "@test/helpers/jwks";
import { signToken } from "@test/helpers/tokens";
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import type { AppEnv } from "@/lib/types";

/**
 * The Worker against an identity provider that fails: each test has its own key-set scope on the JWKS
 * test server, which it can make answer 500, hang or answer garbage, and whose fetches it counts.
 */
const ADDRESSES = "/v2/email-settings/email-addresses";
const TTL_SECONDS = 600;
const HOUR_MS = 3600_000;

let warn: MockInstance<typeof console.warn>;
let clock = Date.now();

beforeEach(() => {
  warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  clock = Date.now();
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(clock);
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Moves the Worker's clock forward (only Date: the fetch timeout still runs on real time). */
function advance(ms: number) {
  clock += ms;
  vi.setSystemTime(clock);
}

function provider() {
  const scope = jwksScope();
  const env: Partial<AppEnv> = {
    JWT_JWKS_URL: scope.url,
    JWKS_CACHE_TTL_SECONDS: String(TTL_SECONDS),
    JWKS_FETCH_TIMEOUT_MS: "300",
  };
  const list = async (options: CallOptions = {}) => call("GET", ADDRESSES, { ...options, env });
  return { scope, list };
}

const loggedEvents = () => warn.mock.calls.map((args) => JSON.parse(String(args[0])).event as string);

describe("JWKS fetch timeout", () => {
  it("answers 503 when the key set does not arrive in JWKS_FETCH_TIMEOUT_MS", async () => {
    const { scope, list } = provider();
    await scope.setMode("hang");
    expectError(await list(), 503, /signing keys could not be fetched \(no answer within 300 ms\)/);
    expect(await scope.fetches()).toBe(1);
    expect(loggedEvents()).toContain("jwks_fetch_failed");
  });

  it("keeps serving the cached keys when a refresh hangs", async () => {
    const { scope, list } = provider();
    expect((await list()).status).toBe(200);
    await scope.setMode("hang");
    advance(TTL_SECONDS * 1000 + 1000);
    expect((await list()).status).toBe(200);
    expect(await scope.fetches()).toBe(2);
    expect(loggedEvents()).toContain("jwks_serving_stale_keys");
  });
});

describe("the last good key set while the identity provider fails", () => {
  it("is served for up to one hour past its TTL, then requests answer 503", async () => {
    const { scope, list } = provider();
    expect((await list()).status).toBe(200);
    await scope.setMode("fail");

    advance(TTL_SECONDS * 1000 + 1000);
    expect((await list()).status).toBe(200);
    expect(await scope.fetches()).toBe(2);

    advance(HOUR_MS - 2000);
    expect((await list()).status).toBe(200);
    expect(await scope.fetches()).toBe(3);

    advance(2000);
    expectError(await list(), 503, /HTTP 500/);
  });

  it("is replaced once the provider answers again", async () => {
    const { scope, list } = provider();
    expect((await list()).status).toBe(200);
    await scope.setMode("malformed");
    advance(TTL_SECONDS * 1000 + 1000);
    expect((await list()).status).toBe(200);
    await scope.setMode("ok");
    // Still in the backoff after the failure: the stale keys, no fetch.
    expect((await list()).status).toBe(200);
    expect(await scope.fetches()).toBe(2);
    advance(6000);
    expect((await list()).status).toBe(200);
    expect(await scope.fetches()).toBe(3);
    // Fresh again: a full TTL without fetches.
    advance(TTL_SECONDS * 1000 - 1000);
    expect((await list()).status).toBe(200);
    expect(await scope.fetches()).toBe(3);
  });
});

describe("no refetch storm while the identity provider fails", () => {
  it("fetches once, then fails fast during the backoff, which grows with each failure", async () => {
    const { scope, list } = provider();
    await scope.setMode("fail");
    const burst = await Promise.all(Array.from({ length: 10 }, () => list()));
    for (const response of burst) expectError(response, 503, /HTTP 500/);
    for (let i = 0; i < 10; i++) expectError(await list(), 503, /HTTP 500/);
    expect(await scope.fetches()).toBe(1);

    advance(5000); // first backoff: 5 s
    expectError(await list(), 503);
    expectError(await list(), 503);
    expect(await scope.fetches()).toBe(2);

    advance(5000); // second backoff: 10 s, not over yet
    expectError(await list(), 503);
    expect(await scope.fetches()).toBe(2);
    advance(5000);
    expectError(await list(), 503);
    expect(await scope.fetches()).toBe(3);

    await scope.setMode("ok");
    advance(20_000);
    expect((await list()).status).toBe(200);
    expect((await list()).status).toBe(200);
    expect(await scope.fetches()).toBe(4);
  });

  it("does not let unknown kids trigger refetches while the provider fails", async () => {
    const { scope, list } = provider();
    expect((await list()).status).toBe(200);
    await scope.setMode("fail");
    advance(31_000);

    // One refetch for the first unknown kid, which fails: the provider is down, not the token's fault.
    expectError(await list({ token: await signToken({ kid: "forged-0" }) }), 503, /HTTP 500/);
    expect(await scope.fetches()).toBe(2);
    for (let i = 1; i <= 10; i++) {
      expectError(await list({ token: await signToken({ kid: `forged-${i}` }) }), 401, /signing key is unknown/);
    }
    expect(await scope.fetches()).toBe(2);
    // Tokens of the known keys still verify from the cache.
    expect((await list()).status).toBe(200);
    expect((await list({ token: await signToken({ key: "es256" }) })).status).toBe(200);

    // After the backoff the next unknown kid may refetch once more, then again only 30 s later.
    advance(31_000);
    await list({ token: await signToken({ kid: "forged-a" }) });
    await list({ token: await signToken({ kid: "forged-b" }) });
    expect(await scope.fetches()).toBe(3);
  });
});
