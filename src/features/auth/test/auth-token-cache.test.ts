import { call, expectError, uniqueOrg } from "@test/helpers/api";
import { signHs256Token, signToken } from "@test/helpers/tokens";
import { afterEach, describe, expect, it, vi } from "vitest";

/**
 * The isolate's cache of verified bearer tokens (src/features/auth/verified-tokens.ts): a client that
 * repeats its token is verified once, and the cache never lets through what a full verification refuses.
 */
const ADDRESSES = "/v2/email-settings/email-addresses";
const list = (token: string, env?: Record<string, string>, baseUrl?: string) =>
  call<unknown[]>("GET", ADDRESSES, { token, env, baseUrl });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("verified bearer tokens: cached per isolate", () => {
  it("checks a repeated token's signature once, and each request still answers for the token's org", async () => {
    const token = await signToken({ org: uniqueOrg("cache") });
    const verify = vi.spyOn(crypto.subtle, "verify");
    for (let i = 0; i < 3; i++) expect((await list(token)).status).toBe(200);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it("imports the development HMAC key once, not per token", async () => {
    const local = { JWT_JWKS_URL: "" };
    const first = await signHs256Token({ org: uniqueOrg("hs") });
    expect((await list(first, local, "http://localhost:8787")).status).toBe(200);
    const importKey = vi.spyOn(crypto.subtle, "importKey");
    const second = await signHs256Token({ org: uniqueOrg("hs") });
    const signing = importKey.mock.calls.length;
    expect((await list(second, local, "http://localhost:8787")).status).toBe(200);
    expect(importKey.mock.calls.length - signing).toBe(0);
  });

  it("verifies a token in full under other settings (an accepted token is refused for another audience)", async () => {
    const token = await signToken({ org: uniqueOrg("aud") });
    expect((await list(token)).status).toBe(200);
    expectError(await list(token, { JWT_AUDIENCE: "another-api" }), 401, /audience is not accepted/);
  });

  it("refuses a copy of an accepted token with one signature character changed", async () => {
    const token = await signToken({ org: uniqueOrg("sig") });
    expect((await list(token)).status).toBe(200);
    const signatureStart = token.lastIndexOf(".") + 1;
    const at = signatureStart + 10;
    const forged = token.slice(0, at) + (token[at] === "A" ? "B" : "A") + token.slice(at + 1);
    expectError(await list(forged), 401, /signature is invalid/);
  });

  it("stops accepting a cached token once it expires", async () => {
    const noSkew = { JWT_CLOCK_SKEW_SECONDS: "0" };
    const token = await signToken({ org: uniqueOrg("exp"), expiresInSeconds: 1 });
    expect((await list(token, noSkew)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expectError(await list(token, noSkew), 401, /expired/);
  });
});
