import { afterEach, describe, expect, it, vi } from "vitest";
import { type ApiResponse, type CallOptions, call, expectError, uniqueOrg } from "./helpers/api";

/** The browser app's origins in a deployment that lists them (plus one with a port). */
const APP = "https://app.example.com";
const LOCAL_APP = "http://localhost:3000";
const CORS = { CORS_ALLOWED_ORIGINS: ` ${APP}, ${LOCAL_APP} ` };
const ADDRESSES = "/v2/email-settings/email-addresses";

afterEach(() => {
  vi.restoreAllMocks();
});

const CORS_HEADERS = [
  "access-control-allow-origin",
  "access-control-allow-credentials",
  "access-control-allow-methods",
  "access-control-allow-headers",
  "access-control-expose-headers",
  "access-control-max-age",
];

function expectNoCorsHeaders(response: ApiResponse) {
  for (const name of CORS_HEADERS) expect(response.headers.get(name), name).toBeNull();
}

const list = (origin: string, options: CallOptions = {}) =>
  call("GET", ADDRESSES, { env: CORS, ...options, headers: { origin, ...options.headers } });

/** A browser's preflight for a credentialed JSON POST that names another org. */
const preflight = (origin: string, options: CallOptions = {}) =>
  call("OPTIONS", ADDRESSES, {
    env: CORS,
    token: null,
    ...options,
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type,x-epilot-org-id",
    },
  });

describe("CORS for listed origins", () => {
  it.each([APP, LOCAL_APP])("answers the preflight of %s with 204, without a token", async (origin) => {
    const response = await preflight(origin);
    expect(response.status).toBe(204);
    expect(response.body).toBe("");
    expect(response.headers.get("access-control-allow-origin")).toBe(origin);
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    const methods = response.headers.get("access-control-allow-methods")?.split(",") ?? [];
    expect(methods).toEqual(expect.arrayContaining(["GET", "POST", "PUT", "PATCH", "DELETE"]));
    const allowed = response.headers.get("access-control-allow-headers")?.toLowerCase().split(",") ?? [];
    expect(allowed).toEqual(
      expect.arrayContaining(["authorization", "content-type", "x-epilot-org-id", "x-ivy-org-id", "x-d1-bookmark"]),
    );
    expect(response.headers.get("vary")).toMatch(/\bOrigin\b/);
  });

  it("puts CORS headers on the answer, exposes X-Request-Id and varies on Origin", async () => {
    const response = await list(APP, { org: uniqueOrg() });
    expect(response.status).toBe(200);
    expect(response.body).toEqual([]);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP);
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(response.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("x-request-id");
    // The D1 bookmark too, so the app can send it back to read its own writes.
    expect(response.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("x-d1-bookmark");
    expect(response.headers.get("x-request-id")).toBeTruthy();
    expect(response.headers.get("vary")).toMatch(/\bOrigin\b/);
  });

  it("puts them on errors too, so the app can read the ErrorResponse", async () => {
    const unauthenticated = await list(APP, { token: null });
    expectError(unauthenticated, 401, /bearer token/);
    expect(unauthenticated.headers.get("access-control-allow-origin")).toBe(APP);
    const missing = await call("GET", "/v2/email-settings/nope", { env: CORS, headers: { origin: APP } });
    expectError(missing, 404);
    expect(missing.headers.get("access-control-allow-origin")).toBe(APP);
  });

  it("accepts a listed origin written with a trailing slash", async () => {
    const env = { CORS_ALLOWED_ORIGINS: `${APP}/` };
    expect((await preflight(APP, { env })).headers.get("access-control-allow-origin")).toBe(APP);
  });
});

describe("CORS for other origins", () => {
  it.each([
    "https://evil.example",
    "https://app.example.com.evil.example",
    "https://evil-app.example.com",
    "http://app.example.com",
    "https://app.example.com:8443",
    "null",
  ])("sends no CORS headers to %s, on answers and preflights", async (origin) => {
    const response = await list(origin, { org: uniqueOrg() });
    // The request itself is served as for any client; the browser just may not read it.
    expect(response.status).toBe(200);
    expectNoCorsHeaders(response);
    expect(response.headers.get("vary")).toMatch(/\bOrigin\b/);
    const pre = await preflight(origin);
    expect(pre.status).not.toBe(204);
    expectNoCorsHeaders(pre);
  });

  it("sends no CORS headers at all when CORS_ALLOWED_ORIGINS is empty (the default)", async () => {
    for (const env of [{}, { CORS_ALLOWED_ORIGINS: "" }, { CORS_ALLOWED_ORIGINS: " , " }]) {
      const response = await list(APP, { env, org: uniqueOrg() });
      expect(response.status).toBe(200);
      expectNoCorsHeaders(response);
      const pre = await preflight(APP, { env });
      expectError(pre, 404);
      expectNoCorsHeaders(pre);
    }
  });

  it("ignores entries that are not exact origins (wildcards, null, paths) and logs them", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const entries = ["*", "https://*.example.com", "null", `${APP}/api`, "app.example.com", `${LOCAL_APP}`];
    const env = { CORS_ALLOWED_ORIGINS: entries.join(",") };
    for (const origin of ["https://evil.example", "https://x.example.com", "null", APP]) {
      expectNoCorsHeaders(await list(origin, { env, org: uniqueOrg() }));
    }
    // The one valid entry still works.
    expect((await list(LOCAL_APP, { env, org: uniqueOrg() })).headers.get("access-control-allow-origin")).toBe(
      LOCAL_APP,
    );
    const logged = warn.mock.calls.map((args) => JSON.parse(String(args[0])));
    expect(logged).toContainEqual(
      expect.objectContaining({
        event: "cors_origin_ignored",
        rejected: ["*", "https://*.example.com", "null", `${APP}/api`, "app.example.com"],
      }),
    );
  });
});
