import { type DefaultTreeAdapterTypes as Dom, parse } from "parse5";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DOCS_BUNDLE_PATH } from "@/lib/configure-openapi";
import { MAX_BODY_BYTES } from "@/lib/create-app";
import packageJson from "../package.json";
import { type ApiResponse, call, expectError, uniqueOrg } from "./helpers/api";

const ADDRESSES = "/v2/email-settings/email-addresses";
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

afterEach(() => {
  vi.restoreAllMocks();
});

function expectBaseline(response: ApiResponse) {
  const h = response.headers;
  expect(h.get("x-content-type-options")).toBe("nosniff");
  expect(h.get("x-frame-options")).toBe("DENY");
  expect(h.get("referrer-policy")).toBe("no-referrer");
  expect(h.get("strict-transport-security")).toMatch(/^max-age=\d+/);
  expect(h.get("cross-origin-resource-policy")).toBe("same-origin");
}

/** An API answer: the baseline, a CSP that allows nothing, and never stored by a cache. */
function expectApiHeaders(response: ApiResponse) {
  expectBaseline(response);
  expect(response.headers.get("content-security-policy")).toBe(API_CSP);
  expect(response.headers.get("cache-control")).toBe("no-store");
}

describe("API responses", () => {
  it("carry the security headers on success", async () => {
    const org = uniqueOrg();
    const created = await call("POST", ADDRESSES, { org, body: { address: "a@example.com" } });
    expect(created.status).toBe(201);
    expectApiHeaders(created);
    const listed = await call("GET", ADDRESSES, { org });
    expect(listed.body).toHaveLength(1);
    expectApiHeaders(listed);
  });

  it("carry them on 400, 401, 404 and 413 errors", async () => {
    const org = uniqueOrg();
    const responses = [
      [await call("POST", ADDRESSES, { org, rawBody: "{" }), 400],
      [await call("GET", ADDRESSES, { token: null }), 401],
      [await call("GET", ADDRESSES, { token: "garbage" }), 401],
      [await call("GET", "/v2/email-settings/nope", { org }), 404],
      [await call("POST", ADDRESSES, { org, rawBody: "x".repeat(MAX_BODY_BYTES + 1) }), 413],
    ] as const;
    for (const [response, status] of responses) {
      expectError(response, status);
      expectApiHeaders(response);
    }
  });

  it("carry them on an unexpected error (500)", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const response = await call("GET", ADDRESSES, { org: uniqueOrg(), env: { DB: undefined } });
    expectError(response, 500);
    expectApiHeaders(response);
  });

  it("carry them on the OAuth callback and the OpenAPI document", async () => {
    const callback = await call("GET", "/v2/outlook/oauth/callback?state=unknown&code=x", { token: null });
    // An unknown state is refused; the refusal carries the same headers.
    expect([400, 403]).toContain(callback.status);
    expectApiHeaders(callback);
    const doc = await call("GET", "/openapi.json", { token: null });
    expect(doc.status).toBe(200);
    expectApiHeaders(doc);
  });

  it("carry them on a CORS preflight", async () => {
    const origin = "https://app.example.com";
    const response = await call("OPTIONS", ADDRESSES, {
      token: null,
      env: { CORS_ALLOWED_ORIGINS: origin },
      headers: { origin, "access-control-request-method": "GET" },
    });
    expect(response.status).toBe(204);
    expectApiHeaders(response);
  });
});

function elements(node: Dom.ParentNode, tag: string): Dom.Element[] {
  const found: Dom.Element[] = [];
  for (const child of node.childNodes) {
    if ("tagName" in child && child.tagName === tag) found.push(child);
    if ("childNodes" in child) found.push(...elements(child, tag));
  }
  return found;
}

const attr = (el: Dom.Element, name: string) => el.attrs.find((a) => a.name === name)?.value;

/** The directives of a CSP header, by name. */
function directives(csp: string | null): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of (csp ?? "").split(";")) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) map.set(name, values);
  }
  return map;
}

describe("the /docs page", () => {
  async function docs() {
    const response = await call<string>("GET", "/docs", { token: null });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    return response;
  }

  it("has a CSP whose per-response nonce is the only way a script runs", async () => {
    const response = await docs();
    expectBaseline(response);
    const csp = directives(response.headers.get("content-security-policy"));
    expect(csp.get("default-src")).toEqual(["'none'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'none'"]);
    expect(csp.get("object-src") ?? csp.get("default-src")).toEqual(["'none'"]);
    const scriptSrc = csp.get("script-src") ?? [];
    expect(scriptSrc).toHaveLength(1);
    const nonce = /^'nonce-([A-Za-z0-9+/=]{22,})'$/.exec(scriptSrc[0] ?? "")?.[1];
    expect(nonce, scriptSrc.join(" ")).toBeTruthy();
    expect(csp.get("connect-src")).toEqual(["'self'"]);

    const scripts = elements(parse(response.body), "script");
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(attr(script, "nonce")).toBe(nonce);
    // The one external script is Scalar's bundle, served by this Worker: no CDN.
    const external = scripts.map((s) => attr(s, "src")).filter(Boolean);
    expect(external).toEqual([DOCS_BUNDLE_PATH]);
    // The page still points Scalar at this API's document.
    expect(response.body).toContain('"url": "/openapi.json"');
  });

  it("names no other host in its CSP and loads no font or telemetry from one", async () => {
    const response = await docs();
    const csp = directives(response.headers.get("content-security-policy"));
    const sources = [...csp.values()].flat();
    // Keywords ('self', 'none', 'unsafe-inline', the nonce) and data: images only; no scheme or host source.
    for (const source of sources) expect(source, source).toMatch(/^('[a-z-]+'|'nonce-[A-Za-z0-9+/=]+'|data:)$/);
    expect(csp.has("font-src")).toBe(false);
    expect(response.body).toContain('"withDefaultFonts": false');
    expect(response.body).toContain('"telemetry": false');
  });

  it("uses a new nonce for every response", async () => {
    const first = (await docs()).headers.get("content-security-policy");
    const second = (await docs()).headers.get("content-security-policy");
    expect(first).not.toBe(second);
  });

  it("cannot be framed and sends no referrer", async () => {
    const response = await docs();
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("the Scalar bundle /docs loads", () => {
  const pinned = (packageJson.devDependencies as Record<string, string>)["@scalar/api-reference"];

  it("is the exact @scalar/api-reference version package.json pins, served from assets without a token", async () => {
    expect(pinned, "package.json pins @scalar/api-reference").toMatch(/^\d+\.\d+\.\d+$/);
    const response = await call<string>("GET", DOCS_BUNDLE_PATH, { token: null });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(response.body).toContain(`@scalar/api-reference@${pinned}`);
    expect(response.body).toContain("createApiReference");
    expectBaseline(response);
    // Revalidated on every load (cheaply, by ETag), so a deploy with another version takes effect at once.
    expect(response.headers.get("cache-control")).toBe("no-cache");
    const etag = response.headers.get("etag");
    expect(etag).toBeTruthy();
    const again = await call("GET", DOCS_BUNDLE_PATH, { token: null, headers: { "if-none-match": etag as string } });
    expect(again.status).toBe(304);
    expect(again.body).toBe("");
  });

  it("answers 503 saying how to fix it when the Worker runs without the copied bundle", async () => {
    const missing = { fetch: async () => new Response("Not Found", { status: 404 }) } as unknown as Fetcher;
    const response = await call("GET", DOCS_BUNDLE_PATH, { token: null, env: { ASSETS: missing } });
    expectError(response, 503, /npm run docs:assets/);
    expectBaseline(response);
  });
});
