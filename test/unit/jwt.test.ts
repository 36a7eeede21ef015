import { env } from "cloudflare:workers";
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type JwtVerifierConfig, TokenError, verifyJwt } from "@/clients/identity/jwt";
import { appConfig } from "@/lib/config";
import { jwksScope } from "../helpers/jwks";
import { signHs256Token, signToken, testKeys, unsignedToken } from "../helpers/tokens";

/** The config module's defaults (no var set): the limits a deployment gets unless it sets them. */
const DEFAULTS = appConfig({});

/** A verifier config of its own JWKS scope (its own URL, so its own cache entry and fetch counter). */
function setup(overrides: Partial<JwtVerifierConfig> = {}) {
  const scope = jwksScope();
  const config: JwtVerifierConfig = {
    jwksUrl: scope.url,
    algorithms: ["RS256", "ES256"],
    clockSkewSeconds: 60,
    jwksCacheTtlSeconds: 600,
    jwksFetchTimeoutMs: DEFAULTS.JWKS_FETCH_TIMEOUT_MS,
    maxTokenLifetimeSeconds: DEFAULTS.JWT_MAX_TOKEN_LIFETIME_SECONDS,
    ...overrides,
  };
  return { scope, config };
}

/** Resolves to the TokenError that `promise` rejects with (and fails if it resolves or throws anything else). */
async function tokenError(promise: Promise<unknown>): Promise<TokenError> {
  const outcome = await promise.then(
    (value) => ({ resolved: value }),
    (error: unknown) => ({ error }),
  );
  expect(outcome, "verification should have failed").toHaveProperty("error");
  const { error } = outcome as { error: unknown };
  expect(error).toBeInstanceOf(TokenError);
  return error as TokenError;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const b64url = (text: string) => encodeBase64urlNoPadding(new TextEncoder().encode(text));

afterEach(() => {
  vi.useRealTimers();
});

describe("verifyJwt: signatures and algorithms", () => {
  it("accepts RS256 and ES256 tokens signed with published keys and returns their claims", async () => {
    const { config } = setup();
    const rs = await verifyJwt(await signToken({ org: "org-rs", user: "u-rs" }), config);
    expect(rs).toMatchObject({ org_id: "org-rs", user_id: "u-rs" });
    const es = await verifyJwt(await signToken({ key: "es256", org: "org-es" }), config);
    expect(es).toMatchObject({ org_id: "org-es" });
  });

  it("accepts a token without kid by the key type the algorithm needs", async () => {
    const { config } = setup();
    const claims = await verifyJwt(await signToken({ org: "no-kid", header: { kid: undefined } }), config);
    expect(claims.org_id).toBe("no-kid");
  });

  it("rejects ES256 when the allow-list has only RS256", async () => {
    const { config } = setup({ algorithms: ["RS256"] });
    await expect(verifyJwt(await signToken(), config)).resolves.toBeDefined();
    const err = await tokenError(verifyJwt(await signToken({ key: "es256" }), config));
    expect(err.message).toMatch(/ES256 is not accepted/);
    expect(err.misconfigured).toBe(false);
  });

  it("rejects a token whose payload was changed after signing", async () => {
    const { config } = setup();
    const [header, , signature] = (await signToken({ org: "org-a" })).split(".");
    const forgedPayload = b64url(JSON.stringify({ org_id: "org-victim", user_id: "u", exp: nowSeconds() + 3600 }));
    const err = await tokenError(verifyJwt(`${header}.${forgedPayload}.${signature}`, config));
    expect(err.message).toMatch(/signature is invalid/);
  });

  it("rejects a signature made with another private key under a published kid", async () => {
    const { config } = setup();
    // Signed with the (unpublished) rotated key but claiming to be the published RS256 key.
    const token = await signToken({ key: "rotated", kid: testKeys().rs256.kid });
    expect((await tokenError(verifyJwt(token, config))).message).toMatch(/signature is invalid/);
  });

  it("rejects a kid that names a key of the wrong type for the algorithm", async () => {
    const { config } = setup();
    const token = await signToken({ key: "rs256", kid: testKeys().es256.kid });
    expect((await tokenError(verifyJwt(token, config))).message).toMatch(/signing key is unknown/);
  });

  it("rejects alg none with and without a dev secret", async () => {
    for (const devSecret of [undefined, env.JWT_DEV_SECRET]) {
      const { config } = setup({ devSecret });
      const err = await tokenError(verifyJwt(unsignedToken(), config));
      expect(err.message).toMatch(/algorithm none is not accepted/);
    }
  });

  it("rejects algorithms outside the allow-list even when named in it (only RS256/ES256 are supported)", async () => {
    const { config } = setup({ algorithms: ["RS256", "ES256", "HS256", "none"] });
    await tokenError(verifyJwt(unsignedToken(), config));
    await tokenError(verifyJwt(await signHs256Token({}, "any-secret"), config));
  });

  it("rejects HS256 when no dev secret is configured, whatever it was signed with", async () => {
    const { config } = setup();
    const err = await tokenError(verifyJwt(await signHs256Token(), config));
    expect(err.message).toMatch(/HS256 is not accepted/);
  });

  it("accepts HS256 only with the configured dev secret, and only without a JWKS", async () => {
    const { config } = setup({ devSecret: env.JWT_DEV_SECRET, jwksUrl: undefined });
    const claims = await verifyJwt(await signHs256Token({ org: "dev-org" }), config);
    expect(claims.org_id).toBe("dev-org");
    const err = await tokenError(verifyJwt(await signHs256Token({}, "some-other-secret"), config));
    expect(err.message).toMatch(/signature is invalid/);
    // With a JWKS configured the dev secret is never used, even for a token it signed.
    const withJwks = setup({ devSecret: env.JWT_DEV_SECRET }).config;
    expect((await tokenError(verifyJwt(await signHs256Token(), withJwks))).message).toMatch(/HS256 is not accepted/);
  });

  it("refuses the HS256 'signed with the public key' confusion", async () => {
    const publicJwk = testKeys().rs256.publicJwk as JsonWebKey & { n: string };
    const secrets: (string | Uint8Array)[] = [
      JSON.stringify(publicJwk),
      publicJwk.n,
      decodeBase64urlIgnorePadding(publicJwk.n),
    ];
    for (const devSecret of [undefined, env.JWT_DEV_SECRET]) {
      const { config } = setup({ devSecret });
      for (const secret of secrets) {
        await tokenError(verifyJwt(await signHs256Token({ header: { kid: testKeys().rs256.kid } }, secret), config));
      }
    }
  });

  it.each([
    ["not a JWT", "garbage"],
    ["two parts", "a.b"],
    ["invalid base64", "%%%.%%%.%%%"],
    ["a JSON string header", `${b64url('"x"')}.e30.`],
    ["no alg", `${b64url("{}")}.e30.`],
    ["an array header", `${b64url('["RS256"]')}.e30.`],
  ])("rejects a malformed token: %s", async (_name, token) => {
    const { config } = setup();
    const err = await tokenError(verifyJwt(token, config));
    expect(err.misconfigured).toBe(false);
  });

  it.each([
    ["a non-string alg", { alg: 256 }],
    ["a non-string kid", { kid: 42 }],
  ])("rejects a header with %s as a bad token (not an unexpected error)", async (_name, header) => {
    const { config } = setup();
    const token = await signToken({ header });
    const err = await tokenError(verifyJwt(token, config));
    expect(err.misconfigured).toBe(false);
  });
});

describe("verifyJwt: registered claims", () => {
  it("checks the issuer when one is configured", async () => {
    const { config } = setup({ issuer: "https://idp.test/" });
    await expect(verifyJwt(await signToken({ claims: { iss: "https://idp.test/" } }), config)).resolves.toBeDefined();
    for (const claims of [{ iss: "https://evil.test/" }, {}, { iss: 7 }]) {
      const err = await tokenError(verifyJwt(await signToken({ claims }), config));
      expect(err.message).toMatch(/issuer|malformed/);
    }
  });

  it("checks the audience (string or array) when one is configured", async () => {
    const { config } = setup({ audience: "messaging-settings" });
    for (const aud of ["messaging-settings", ["other-api", "messaging-settings"]]) {
      await expect(verifyJwt(await signToken({ claims: { aud } }), config)).resolves.toBeDefined();
    }
    for (const claims of [{ aud: "other-api" }, { aud: ["other-api"] }, {}]) {
      const err = await tokenError(verifyJwt(await signToken({ claims }), config));
      expect(err.message).toMatch(/audience/);
    }
  });

  it("ignores iss and aud when neither is configured", async () => {
    const { config } = setup();
    const token = await signToken({ claims: { iss: "anyone", aud: "anything" } });
    await expect(verifyJwt(token, config)).resolves.toBeDefined();
  });

  it("rejects expired tokens beyond the clock skew and accepts them within it", async () => {
    const expiredBy30s = await signToken({ expiresInSeconds: -30 });
    await expect(verifyJwt(expiredBy30s, setup({ clockSkewSeconds: 60 }).config)).resolves.toBeDefined();
    const err = await tokenError(verifyJwt(expiredBy30s, setup({ clockSkewSeconds: 0 }).config));
    expect(err.message).toMatch(/expired/);
    const expiredBy2m = await signToken({ expiresInSeconds: -120 });
    await tokenError(verifyJwt(expiredBy2m, setup({ clockSkewSeconds: 60 }).config));
  });

  it("rejects nbf in the future beyond the clock skew and accepts it within it", async () => {
    const in30s = await signToken({ claims: { nbf: nowSeconds() + 30 } });
    await expect(verifyJwt(in30s, setup({ clockSkewSeconds: 60 }).config)).resolves.toBeDefined();
    const err = await tokenError(verifyJwt(in30s, setup({ clockSkewSeconds: 0 }).config));
    expect(err.message).toMatch(/not valid yet/);
  });

  it("rejects a token without exp: bearer tokens must expire", async () => {
    const err = await tokenError(verifyJwt(await signToken({ claims: { exp: undefined } }), setup().config));
    expect(err.message).toMatch(/exp/);
    const dev = setup({ devSecret: env.JWT_DEV_SECRET, jwksUrl: undefined }).config;
    expect((await tokenError(verifyJwt(await signHs256Token({ claims: { exp: undefined } }), dev))).message).toMatch(
      /no expiry/,
    );
  });

  it("rejects a signed array payload", async () => {
    const { config } = setup({ devSecret: "s" });
    const header = b64url('{"alg":"HS256"}');
    const payload = b64url("[1]");
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode("s"),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const signature = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${header}.${payload}`));
    const token = `${header}.${payload}.${encodeBase64urlNoPadding(new Uint8Array(signature))}`;
    expect((await tokenError(verifyJwt(token, config))).message).toMatch(/JSON objects/);
  });

  it.each([
    ["a string exp", { exp: "tomorrow" }],
    ["a null exp", { exp: null }],
    ["a string nbf", { nbf: "now" }],
  ])("rejects %s as malformed", async (_name, claims) => {
    const { config } = setup();
    const err = await tokenError(verifyJwt(await signToken({ claims }), config));
    expect(err.message).toMatch(/malformed/);
  });
});

describe("verifyJwt: absurd times", () => {
  // Each of these became an Invalid Date (or was never looked at) and passed the time checks.
  it.each([
    ["exp beyond what a Date can hold", { exp: 9e12 }],
    ["exp beyond the year 9999", { exp: 253_402_300_800 }],
    ["a negative exp", { exp: -1 }],
    ["nbf beyond what a Date can hold", { nbf: 9e12 }],
    ["a hugely negative nbf", { nbf: -1e300 }],
    ["iat beyond what a Date can hold", { iat: 9e12 }],
    ["a negative iat", { iat: -5 }],
    ["a string iat", { iat: "yesterday" }],
  ])("rejects %s as malformed", async (_name, claims) => {
    const err = await tokenError(verifyJwt(await signToken({ claims }), setup().config));
    expect(err.message).toMatch(/malformed (exp|nbf|iat) claim/);
    expect(err.misconfigured).toBe(false);
  });

  it("rejects exp as Infinity (1e400 in the JSON)", async () => {
    const { config } = setup({ devSecret: "s", jwksUrl: undefined });
    const header = b64url('{"alg":"HS256"}');
    const payload = b64url('{"org_id":"o","exp":1e400}');
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode("s"),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const signature = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${header}.${payload}`));
    const token = `${header}.${payload}.${encodeBase64urlNoPadding(new Uint8Array(signature))}`;
    expect((await tokenError(verifyJwt(token, config))).message).toMatch(/malformed exp/);
  });

  it("rejects a token issued in the future beyond the clock skew", async () => {
    const err = await tokenError(verifyJwt(await signToken({ claims: { iat: nowSeconds() + 3600 } }), setup().config));
    expect(err.message).toMatch(/issued in the future/);
    const withinSkew = await signToken({ claims: { iat: nowSeconds() + 30 } });
    await expect(verifyJwt(withinSkew, setup().config)).resolves.toBeDefined();
  });

  it("rejects a token valid for longer than the maximum lifetime (24 h by default)", async () => {
    const { config } = setup();
    const err = await tokenError(verifyJwt(await signToken({ expiresInSeconds: 30 * 24 * 3600 }), config));
    expect(err.message).toMatch(/lifetime is too long.*86400 s/);
    await expect(verifyJwt(await signToken({ expiresInSeconds: 24 * 3600 }), config)).resolves.toBeDefined();
    const short = setup({ maxTokenLifetimeSeconds: 600 }).config;
    await tokenError(verifyJwt(await signToken({ expiresInSeconds: 3600 }), short));
    await expect(verifyJwt(await signToken({ expiresInSeconds: 600 }), short)).resolves.toBeDefined();
  });

  it("accepts fractional NumericDates (RFC 7519 allows them)", async () => {
    const claims = { exp: nowSeconds() + 60.5, nbf: nowSeconds() - 0.25, iat: nowSeconds() - 0.5 };
    await expect(verifyJwt(await signToken({ claims }), setup().config)).resolves.toBeDefined();
  });
});

describe("verifyJwt: key set retrieval and caching", () => {
  it("fetches the key set once and reuses it for later tokens", async () => {
    const { scope, config } = setup();
    expect(await scope.fetches()).toBe(0);
    for (let i = 0; i < 5; i++) {
      await verifyJwt(await signToken({ key: i % 2 ? "es256" : "rs256" }), config);
    }
    expect(await scope.fetches()).toBe(1);
  });

  it("shares one fetch between concurrent first verifications", async () => {
    const { scope, config } = setup();
    const tokens = await Promise.all([1, 2, 3, 4, 5].map(() => signToken()));
    await Promise.all(tokens.map((token) => verifyJwt(token, config)));
    expect(await scope.fetches()).toBe(1);
  });

  it("refetches after the cache TTL", async () => {
    const { scope, config } = setup({ jwksCacheTtlSeconds: 600 });
    await verifyJwt(await signToken(), config);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 599_000);
    await verifyJwt(await signToken(), config);
    expect(await scope.fetches()).toBe(1);
    vi.setSystemTime(Date.now() + 2_000);
    await verifyJwt(await signToken(), config);
    expect(await scope.fetches()).toBe(2);
  });

  it("refetches on an unknown kid, at most once per 30 s, and then accepts the rotated key", async () => {
    const { scope, config } = setup();
    await verifyJwt(await signToken(), config);
    await scope.publishRotated();
    const rotated = await signToken({ key: "rotated" });

    // Right after a fetch, an unknown kid does not refetch: a stream of forged kids costs nothing.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 10_000);
    expect((await tokenError(verifyJwt(rotated, config))).message).toMatch(/signing key is unknown/);
    expect(await scope.fetches()).toBe(1);

    vi.setSystemTime(Date.now() + 21_000);
    const claims = await verifyJwt(rotated, config);
    expect(claims.org_id).toBe("org-a");
    expect(await scope.fetches()).toBe(2);

    // The refreshed set is cached: known kids and the next unknown kid do not refetch at once.
    await verifyJwt(rotated, config);
    await verifyJwt(await signToken(), config);
    await tokenError(verifyJwt(await signToken({ kid: "never-published" }), config));
    expect(await scope.fetches()).toBe(2);
  });

  it("reports an unconfigured, unreachable or malformed key set as misconfiguration", async () => {
    const token = await signToken();
    const urls = [
      undefined,
      `${env.TEST_JWKS_ADMIN_URL}/no-such-path`,
      `${env.TEST_JWKS_ADMIN_URL}/__broken-jwks.json`,
    ];
    for (const jwksUrl of urls) {
      const err = await tokenError(verifyJwt(token, setup({ jwksUrl }).config));
      expect(err.misconfigured, `${jwksUrl}: ${err.message}`).toBe(true);
    }
  });

  it("still verifies dev tokens when no JWKS is configured", async () => {
    const { config } = setup({ jwksUrl: undefined, devSecret: env.JWT_DEV_SECRET });
    await expect(verifyJwt(await signHs256Token(), config)).resolves.toBeDefined();
  });
});
