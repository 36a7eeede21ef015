import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { type CallOptions, call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { signHs256Token, signToken } from "@test/helpers/tokens";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EmailAddressResponseSchema } from "@/features/email-addresses/email-addresses.schemas";

const ADDRESSES = "/v2/email-settings/email-addresses";
const list = (options: CallOptions) => call("GET", ADDRESSES, options);
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** `npm start` on a developer's machine: no JWKS configured, reached at a loopback host. */
const NO_JWKS = { JWT_JWKS_URL: "" };
const LOCAL = "http://localhost:8787";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("development tokens (HS256 with JWT_DEV_SECRET)", () => {
  it.each([LOCAL, "http://127.0.0.1:8787", "http://[::1]:8787", "http://LOCALHOST"])(
    "are accepted on a local Worker without a JWKS (%s)",
    async (baseUrl) => {
      const org = uniqueOrg("dev");
      const token = await signHs256Token({ org, user: "dev-user" });
      const created = await call("POST", ADDRESSES, {
        token,
        env: NO_JWKS,
        baseUrl,
        body: { address: "a@example.com" },
      });
      expect(expectBody(created, 201, EmailAddressResponseSchema).created_by).toBe("dev-user");
    },
  );

  it("are refused whenever JWT_JWKS_URL is set, even on localhost", async () => {
    const token = await signHs256Token();
    expectError(await list({ token, baseUrl: LOCAL }), 401, /HS256 is not accepted/);
    // The same Worker still takes its identity provider's tokens.
    expect((await list({ baseUrl: LOCAL })).status).toBe(200);
  });

  it.each(["https://api.test", "https://messaging-settings.example.workers.dev", "http://192.168.1.20:8787"])(
    "are refused on a deployed Worker (%s), even with the dev secret set and no JWKS",
    async (baseUrl) => {
      vi.spyOn(console, "warn").mockImplementation(() => {});
      const token = await signHs256Token();
      expectError(await list({ token, env: NO_JWKS, baseUrl }), 401, /HS256 is not accepted/);
    },
  );

  it("log one loud warning per isolate when JWT_DEV_SECRET is set on a non-local deployment", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    // A fresh copy of the Worker's modules: a fresh isolate, whatever earlier tests logged.
    vi.resetModules();
    const { default: worker } = await import("@/index");
    const request = async (url: string, token: string) => {
      const headers = { authorization: `Bearer ${token}` };
      const response = await worker.fetch(
        new Request(url, { headers }),
        { ...env, ...NO_JWKS },
        createExecutionContext(),
      );
      await response.body?.cancel();
      return response.status;
    };
    const hs = await signHs256Token();
    expect(await request(`${LOCAL}${ADDRESSES}`, hs)).toBe(200);
    expect(warn).not.toHaveBeenCalled();

    expect(await request(`https://api.test${ADDRESSES}`, hs)).toBe(401);
    expect(await request(`https://api.test${ADDRESSES}`, hs)).toBe(401);
    expect(await request(`https://other.test${ADDRESSES}`, hs)).toBe(401);
    const lines = warn.mock.calls.map((args) => JSON.parse(String(args[0])));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "warn",
      event: "jwt_dev_secret_on_non_local_deployment",
      host: "api.test",
      message: expect.stringMatching(/SECURITY: JWT_DEV_SECRET is set on a non-local deployment/),
    });
    // The secret itself is never logged.
    expect(JSON.stringify(lines)).not.toContain(env.JWT_DEV_SECRET);
  });
});

describe("issuer and audience are required once a JWKS is configured", () => {
  it.each([
    [{ JWT_ISSUER: "" }, /JWT_JWKS_URL is set but JWT_ISSUER is empty/],
    [{ JWT_AUDIENCE: "" }, /JWT_JWKS_URL is set but JWT_AUDIENCE is empty/],
    [{ JWT_ISSUER: "", JWT_AUDIENCE: "" }, /JWT_ISSUER and JWT_AUDIENCE are empty/],
  ])("answers 503 naming the missing vars (%j)", async (vars, message) => {
    // A token without iss/aud would otherwise pass: any token of the identity provider, for any API.
    const token = await signToken({ claims: { iss: undefined, aud: undefined } });
    expectError(await list({ token, env: vars }), 503, message);
    expectError(await list({ token: null, env: vars }), 503, message);
  });

  it("refuses a token of the configured provider that lacks iss or aud", async () => {
    expectError(await list({ token: await signToken({ claims: { iss: undefined } }) }), 401, /issuer/);
    expectError(await list({ token: await signToken({ claims: { aud: undefined } }) }), 401, /audience/);
    expect((await list({ token: await signToken() })).status).toBe(200);
  });

  it("does not require them for local development without a JWKS", async () => {
    const token = await signHs256Token({ claims: { iss: undefined, aud: undefined } });
    const vars = { ...NO_JWKS, JWT_ISSUER: "", JWT_AUDIENCE: "" };
    expect((await list({ token, env: vars, baseUrl: LOCAL })).status).toBe(200);
  });
});

describe("token times", () => {
  it.each([
    ["exp", { exp: 9e12 }],
    ["nbf", { nbf: 9e12 }],
    ["nbf", { nbf: -1e300 }],
    ["iat", { iat: 9e12 }],
    ["exp", { exp: -1 }],
  ])("answers 401 for an absurd %s (%j)", async (claim, claims) => {
    expectError(await list({ token: await signToken({ claims }) }), 401, new RegExp(`malformed ${claim} claim`));
  });

  it("answers 401 for a token issued in the future", async () => {
    const token = await signToken({ claims: { iat: nowSeconds() + 3600 } });
    expectError(await list({ token }), 401, /issued in the future/);
  });

  it("answers 401 for a token valid longer than JWT_MAX_TOKEN_LIFETIME_SECONDS (default 24 h)", async () => {
    expectError(await list({ token: await signToken({ expiresInSeconds: 7 * 24 * 3600 }) }), 401, /lifetime/);
    expect((await list({ token: await signToken({ expiresInSeconds: 24 * 3600 }) })).status).toBe(200);
    const vars = { JWT_MAX_TOKEN_LIFETIME_SECONDS: "600" };
    expectError(await list({ token: await signToken({ expiresInSeconds: 3600 }), env: vars }), 401, /600 s/);
    expect((await list({ token: await signToken({ expiresInSeconds: 300 }), env: vars })).status).toBe(200);
  });
});
