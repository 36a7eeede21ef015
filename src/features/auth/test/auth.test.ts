import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { type CallOptions, call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { jwksScope } from "@test/helpers/jwks";
import { signHs256Token, signToken, testKeys, unsignedToken } from "@test/helpers/tokens";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EmailAddressResponseSchema } from "@/features/email-addresses/email-addresses.schemas";

const ADDRESSES = "/v2/email-settings/email-addresses";

afterEach(() => {
  vi.useRealTimers();
});

const list = (options: CallOptions) => call("GET", ADDRESSES, options);

/** A new sender address created with `options` (token, headers); returns the response. */
function create(options: CallOptions, address = `${crypto.randomUUID().slice(0, 8)}@example.com`) {
  return call("POST", ADDRESSES, { ...options, body: { address } });
}

/** The addresses an org sees, read with a plain token of that org. */
async function addressesOf(org: string): Promise<string[]> {
  const response = await list({ org });
  expect(response.status).toBe(200);
  return (response.body as { address: string }[]).map((a) => a.address);
}

const b64url = (text: string) => encodeBase64urlNoPadding(new TextEncoder().encode(text));

/** `npm start` on a developer's machine: reached at localhost, no JWKS configured. */
const LOCAL_DEV = { baseUrl: "http://localhost:8787", env: { JWT_JWKS_URL: "" } } satisfies CallOptions;

describe("bearer token: rejected", () => {
  it("answers 401 without an Authorization header", async () => {
    const response = await list({ token: null });
    expectError(response, 401, /bearer token/i);
    expect(response.headers.get("x-request-id")).toBeTruthy();
  });

  it.each([
    ["Basic credentials", "Basic dXNlcjpwYXNz"],
    ["an empty bearer", "Bearer "],
    ["two tokens", "Bearer a.b.c d.e.f"],
  ])("answers 401 for %s", async (_name, authorization) => {
    expectError(await list({ token: null, headers: { authorization } }), 401);
  });

  it.each(["garbage", "a.b.c", "....", "eyJhbGciOiJSUzI1NiJ9.e30"])(
    "answers 401 for the garbage token %j",
    async (token) => {
      expectError(await list({ token }), 401, /Invalid bearer token/);
    },
  );

  it("answers 401 for an expired token and says so", async () => {
    expectError(await list({ token: await signToken({ expiresInSeconds: -3600 }) }), 401, /expired/);
  });

  it("answers 401 for a token that is not valid yet (nbf far in the future)", async () => {
    const nbf = Math.floor(Date.now() / 1000) + 24 * 3600;
    expectError(await list({ token: await signToken({ claims: { nbf } }) }), 401, /not valid yet/);
  });

  it("answers 401 for a token without exp", async () => {
    expectError(await list({ token: await signToken({ claims: { exp: undefined } }) }), 401, /expiry/);
  });

  it("answers 401 for a kid the JWKS does not publish", async () => {
    expectError(await list({ token: await signToken({ kid: "unpublished-key" }) }), 401, /unknown/);
    // The rotated key exists but is not published on the Worker's key set.
    expectError(await list({ token: await signToken({ key: "rotated" }) }), 401, /unknown/);
  });

  it("answers 401 for a token signed by another key under a published kid", async () => {
    const token = await signToken({ key: "rotated", kid: testKeys().rs256.kid });
    expectError(await list({ token }), 401, /signature/);
  });

  it("answers 401 for a payload changed after signing (e.g. to another org)", async () => {
    const [header, payload, signature] = (await signToken({ org: "org-attacker" })).split(".");
    const claims = JSON.parse(new TextDecoder().decode(decodeBase64urlIgnorePadding(payload ?? "")));
    const forged = b64url(JSON.stringify({ ...claims, org_id: "org-victim" }));
    expectError(await list({ token: `${header}.${forged}.${signature}` }), 401, /signature/);
  });

  it("answers 401 for alg none", async () => {
    expectError(await list({ token: unsignedToken() }), 401, /none is not accepted/);
  });

  it("answers 401 for HS256 signed with the RS256 public key (algorithm confusion)", async () => {
    const publicJwk = testKeys().rs256.publicJwk as JsonWebKey & { n: string };
    for (const secret of [JSON.stringify(publicJwk), publicJwk.n, decodeBase64urlIgnorePadding(publicJwk.n)]) {
      const token = await signHs256Token({ header: { kid: testKeys().rs256.kid } }, secret);
      // Deployed with a JWKS: HS256 is not an algorithm at all.
      expectError(await list({ token }), 401, /HS256 is not accepted/);
      // Locally with the dev secret: HS256 only ever verifies against that secret.
      expectError(await list({ token, ...LOCAL_DEV }), 401, /signature/);
    }
  });

  it("answers 401, not 500, for a header with a wrongly typed alg or kid", async () => {
    expectError(await list({ token: await signToken({ header: { alg: 256 } }) }), 401);
    expectError(await list({ token: await signToken({ header: { kid: ["test-rs256"] } }) }), 401);
  });
});

describe("bearer token: accepted", () => {
  it.each(["rs256", "es256"] as const)("accepts a %s token signed with a published key", async (key) => {
    const org = uniqueOrg(key);
    const response = await list({ token: await signToken({ key, org }) });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toEqual([]);
  });

  it("accepts HS256 signed with the development secret on a local Worker without a JWKS", async () => {
    const org = uniqueOrg("dev");
    const created = await create({ token: await signHs256Token({ org, user: "dev-user" }), ...LOCAL_DEV });
    expect(expectBody(created, 201, EmailAddressResponseSchema).created_by).toBe("dev-user");
    expect(await addressesOf(org)).toHaveLength(1);
  });

  it("accepts a token that expired within the configured clock skew", async () => {
    const response = await list({ token: await signToken({ expiresInSeconds: -30 }) });
    expect(response.status).toBe(200);
  });
});

describe("verifier configuration through the Worker's vars", () => {
  it("checks JWT_ISSUER and JWT_AUDIENCE when set", async () => {
    const vars = { JWT_ISSUER: "https://idp.test/", JWT_AUDIENCE: "messaging-settings" };
    const good = await signToken({ claims: { iss: "https://idp.test/", aud: ["messaging-settings"] } });
    expect((await list({ token: good, env: vars })).status).toBe(200);
    const wrongIss = await signToken({ claims: { iss: "https://other.test/", aud: "messaging-settings" } });
    expectError(await list({ token: wrongIss, env: vars }), 401, /issuer/);
    const wrongAud = await signToken({ claims: { iss: "https://idp.test/", aud: "other" } });
    expectError(await list({ token: wrongAud, env: vars }), 401, /audience/);
  });

  it("honours JWT_ALGORITHMS and JWT_CLOCK_SKEW_SECONDS", async () => {
    expectError(
      await list({ token: await signToken({ key: "es256" }), env: { JWT_ALGORITHMS: "RS256" } }),
      401,
      /ES256/,
    );
    const expiredBy30s = await signToken({ expiresInSeconds: -30 });
    expectError(await list({ token: expiredBy30s, env: { JWT_CLOCK_SKEW_SECONDS: "0" } }), 401, /expired/);
  });

  it("refuses HS256 when JWT_DEV_SECRET is not set", async () => {
    const env = { ...LOCAL_DEV.env, JWT_DEV_SECRET: undefined };
    expectError(await list({ token: await signHs256Token(), ...LOCAL_DEV, env }), 401, /HS256/);
  });

  it("answers 503 for asymmetric tokens when JWT_JWKS_URL is not set, and still serves dev tokens locally", async () => {
    expectError(await list({ token: await signToken(), ...LOCAL_DEV }), 503, /JWT_JWKS_URL/);
    expect((await list({ token: await signHs256Token(), ...LOCAL_DEV })).status).toBe(200);
  });
});

describe("JWKS caching and key rotation (own key-set scope, so concurrent files cannot interfere)", () => {
  it("fetches the key set once, not per request", async () => {
    const scope = jwksScope();
    const env = { JWT_JWKS_URL: scope.url };
    for (let i = 0; i < 6; i++) {
      const token = await signToken({ key: i % 2 ? "es256" : "rs256" });
      expect((await list({ token, env })).status).toBe(200);
    }
    expect(await scope.fetches()).toBe(1);
  });

  it("accepts a newly published key once the key set may be refreshed (unknown kid refetches, at most every 30 s)", async () => {
    const scope = jwksScope();
    const env = { JWT_JWKS_URL: scope.url };
    expect((await list({ env })).status).toBe(200);
    expect(await scope.fetches()).toBe(1);

    await scope.publishRotated();
    vi.useFakeTimers({ toFake: ["Date"] });
    // Within 30 s of the last fetch an unknown kid is refused without a refetch.
    vi.setSystemTime(Date.now() + 5_000);
    expectError(await list({ token: await signToken({ key: "rotated" }), env }), 401, /unknown/);
    expect(await scope.fetches()).toBe(1);

    vi.setSystemTime(Date.now() + 30_000);
    const org = uniqueOrg("rotated");
    const response = await list({ token: await signToken({ key: "rotated", org }), env });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(await scope.fetches()).toBe(2);

    // Old and new keys now both verify from the cache.
    expect((await list({ token: await signToken({ key: "rotated" }), env })).status).toBe(200);
    expect((await list({ token: await signToken({ key: "es256" }), env })).status).toBe(200);
    expect(await scope.fetches()).toBe(2);
  });
});

describe("organization and user context", () => {
  it("takes the org from org_id and the user from user_id", async () => {
    const org = uniqueOrg();
    const created = await create({ token: await signToken({ org, user: "user-x", claims: { sub: "sub-x" } }) });
    expect(expectBody(created, 201, EmailAddressResponseSchema).created_by).toBe("user-x");
    expect(await addressesOf(org)).toHaveLength(1);
  });

  it("takes the org from custom:ivy_organization_id and the user from custom:ivy_user_id", async () => {
    const org = uniqueOrg("ivy");
    const token = await signToken({
      claims: {
        org_id: undefined,
        user_id: undefined,
        "custom:ivy_organization_id": org,
        "custom:ivy_user_id": "ivy-user",
        sub: "cognito-sub",
      },
    });
    const created = await create({ token });
    expect(expectBody(created, 201, EmailAddressResponseSchema).created_by).toBe("ivy-user");
    expect(await addressesOf(org)).toHaveLength(1);
  });

  it("prefers org_id over custom:ivy_organization_id", async () => {
    const org = uniqueOrg("own");
    const other = uniqueOrg("ivy");
    const token = await signToken({ org, claims: { "custom:ivy_organization_id": other } });
    expect((await create({ token })).status).toBe(201);
    expect(await addressesOf(org)).toHaveLength(1);
    expect(await addressesOf(other)).toHaveLength(0);
  });

  it("falls back to sub for the user", async () => {
    const token = await signToken({ org: uniqueOrg(), claims: { user_id: undefined, sub: "only-sub" } });
    expect(expectBody(await create({ token }), 201, EmailAddressResponseSchema).created_by).toBe("only-sub");
  });

  it("records the updating user as updated_by", async () => {
    const org = uniqueOrg();
    const created = expectBody(await create({ org, user: "creator" }), 201, EmailAddressResponseSchema);
    const updated = await call("PUT", `${ADDRESSES}/${created.id}`, { org, user: "editor", body: { name: "New" } });
    const body = expectBody(updated, 200, EmailAddressResponseSchema);
    expect(body.created_by).toBe("creator");
    expect(body.updated_by).toBe("editor");
  });

  it("answers 403 for a token without any org claim", async () => {
    const token = await signToken({ claims: { org_id: undefined } });
    expectError(await list({ token }), 403, /organization/);
    expectError(await create({ token }), 403);
    const blank = await signToken({ claims: { org_id: "  " } });
    expectError(await list({ token: blank }), 403);
  });

  it("switches to an org listed in shared_org_ids through x-epilot-org-id", async () => {
    const own = uniqueOrg("own");
    const shared = uniqueOrg("shared");
    const token = await signToken({ org: own, user: "agent", claims: { shared_org_ids: [uniqueOrg(), shared] } });
    const created = await create({ token, headers: { "x-epilot-org-id": shared } });
    expect(expectBody(created, 201, EmailAddressResponseSchema).created_by).toBe("agent");
    expect(await addressesOf(shared)).toHaveLength(1);
    expect(await addressesOf(own)).toHaveLength(0);
    const seen = await list({ token, headers: { "x-epilot-org-id": shared } });
    expect(seen.body).toHaveLength(1);
  });

  it("accepts shared_org_ids as a comma-separated string", async () => {
    const shared = uniqueOrg("shared");
    const token = await signToken({ org: uniqueOrg(), claims: { shared_org_ids: `other-org, ${shared}` } });
    expect((await create({ token, headers: { "x-epilot-org-id": shared } })).status).toBe(201);
    expect(await addressesOf(shared)).toHaveLength(1);
  });

  it("accepts x-epilot-org-id naming the token's own org", async () => {
    const own = uniqueOrg();
    expect((await create({ org: own, headers: { "x-epilot-org-id": own } })).status).toBe(201);
    expect(await addressesOf(own)).toHaveLength(1);
  });

  it("answers 403 for x-epilot-org-id naming an org the token does not grant, and writes nothing", async () => {
    const own = uniqueOrg("own");
    const target = uniqueOrg("target");
    const token = await signToken({ org: own, claims: { shared_org_ids: [uniqueOrg()] } });
    expectError(await create({ token, headers: { "x-epilot-org-id": target } }), 403, new RegExp(target));
    expectError(await list({ token, headers: { "x-epilot-org-id": target } }), 403);
    const noClaim = await signToken({ org: own });
    expectError(await create({ token: noClaim, headers: { "x-epilot-org-id": target } }), 403);
    expect(await addressesOf(target)).toHaveLength(0);
    expect(await addressesOf(own)).toHaveLength(0);
  });

  it("honours x-ivy-org-id for internal service tokens", async () => {
    const target = uniqueOrg("tenant");
    const service = await signToken({ org: "internal-service", user: "svc", claims: { token_use: "service" } });
    const created = await create({ token: service, headers: { "x-ivy-org-id": target } });
    expect(expectBody(created, 201, EmailAddressResponseSchema).created_by).toBe("svc");
    expect(await addressesOf(target)).toHaveLength(1);
    // A service token needs no org claim of its own when it names one through the header.
    const bare = await signToken({ claims: { org_id: undefined, token_use: "service" } });
    expect((await list({ token: bare, headers: { "x-ivy-org-id": target } })).body).toHaveLength(1);
    expectError(await list({ token: bare }), 403);
  });

  it("ignores x-ivy-org-id on normal tokens: the row lands in the token's own org", async () => {
    const own = uniqueOrg("own");
    const target = uniqueOrg("target");
    for (const claims of [{}, { token_use: "access" }, { token_use: "id" }]) {
      const token = await signToken({ org: own, claims });
      expect((await create({ token, headers: { "x-ivy-org-id": target } })).status).toBe(201);
    }
    expect(await addressesOf(own)).toHaveLength(3);
    expect(await addressesOf(target)).toHaveLength(0);
  });

  it("does not honour x-ivy-org-id for a normal token that has no org claim", async () => {
    const token = await signToken({ claims: { org_id: undefined } });
    expectError(await list({ token, headers: { "x-ivy-org-id": uniqueOrg() } }), 403);
  });
});
