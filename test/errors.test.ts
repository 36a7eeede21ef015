import { env, exports } from "cloudflare:workers";
import { HTTPException } from "hono/http-exception";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp, MAX_BODY_BYTES } from "@/lib/create-app";
import { ApiError } from "@/lib/errors";
import type { AppEnv } from "@/lib/types";
import { requireAuth } from "@/middlewares/auth";
import { call, expectError, uniqueOrg } from "./helpers/api";
import { signToken } from "./helpers/tokens";

const INBOXES = "/v2/email-settings/shared-inboxes";
const ADDRESSES = "/v2/email-settings/email-addresses";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Every error, whatever its cause, carries a request id header. */
function expectRequestId(response: { headers: Headers }): string {
  const id = response.headers.get("x-request-id");
  expect(id).toMatch(/^[\w-]{8,}$/);
  return id as string;
}

describe("routing", () => {
  it("answers 404 ErrorResponse for an unknown path", async () => {
    const response = await call("GET", "/v2/email-settings/nope", { org: uniqueOrg() });
    expectError(response, 404, /No route for GET \/v2\/email-settings\/nope/);
    expectRequestId(response);
  });

  it("answers 404 ErrorResponse for an unsupported method on a known path", async () => {
    expectError(await call("PATCH", ADDRESSES, { org: uniqueOrg(), body: {} }), 404, /No route for PATCH/);
  });

  it("answers 404 for an unknown path even without a token (the route list is public anyway)", async () => {
    expectError(await call("GET", "/v2/email-settings/nope", { token: null }), 404, /No route/);
    expectError(await call("PATCH", ADDRESSES, { token: null, body: {} }), 404, /No route for PATCH/);
  });
});

describe("request bodies", () => {
  it("answers 400 with a JSON hint for malformed JSON", async () => {
    const response = await call("POST", INBOXES, { org: uniqueOrg(), rawBody: '{"name": "Sales", ' });
    expectError(response, 400, /JSON/);
    expectRequestId(response);
  });

  it.each([
    ["text/plain", { "content-type": "text/plain" }],
    ["form data", { "content-type": "application/x-www-form-urlencoded" }],
  ])("answers 400 ErrorResponse, not 500, for a %s body on a JSON route", async (_name, headers) => {
    const response = await call("POST", INBOXES, { org: uniqueOrg(), rawBody: '{"name":"x","color":"#fff"}', headers });
    expectError(response, 400, /Content-Type.*application\/json/);
  });

  it("answers 400 for a body sent without any Content-Type", async () => {
    const token = await signToken({ org: uniqueOrg() });
    const request = new Request(`https://api.test${INBOXES}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: new TextEncoder().encode('{"name":"x","color":"#fff"}'),
    });
    expect(request.headers.get("content-type")).toBeNull();
    const response = await exports.default.fetch(request);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ status: 400, error: expect.stringMatching(/Content-Type/) });
  });

  it("answers 400 when the JSON is not an object", async () => {
    expectError(await call("POST", INBOXES, { org: uniqueOrg(), rawBody: "[1, 2]" }), 400, /expected object/);
  });

  it("answers 413 ErrorResponse for a body over 1 MiB", async () => {
    const org = uniqueOrg();
    const rawBody = JSON.stringify({ name: "x".repeat(MAX_BODY_BYTES), color: "#fff" });
    const response = await call("POST", INBOXES, { org, rawBody });
    expectError(response, 413, /1 MiB/);
    expectRequestId(response);
    expect((await call("GET", INBOXES, { org })).body).toEqual([]);
  });

  it("answers 413 for a streamed body over 1 MiB that declares no length", async () => {
    const token = await signToken({ org: uniqueOrg() });
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    // The Worker stops reading once the limit is passed (workerd then logs "read end of pipe was aborted").
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_BODY_BYTES) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const request = new Request(`https://api.test${INBOXES}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body,
    });
    expect(request.headers.get("content-length")).toBeNull();
    const response = await exports.default.fetch(request);
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ status: 413, error: expect.stringMatching(/1 MiB/) });
  });

  it("accepts a body of exactly 1 MiB (the limit is not off by one)", async () => {
    const prefix = '{"name":"Sales","color":"#fff","padding":"';
    const rawBody = `${prefix}${" ".repeat(MAX_BODY_BYTES - prefix.length - 2)}"}`;
    expect(new TextEncoder().encode(rawBody).byteLength).toBe(MAX_BODY_BYTES);
    const response = await call("POST", INBOXES, { org: uniqueOrg(), rawBody });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  });
});

describe("validation errors name the field", () => {
  it.each([
    ["an invalid color", { name: "Sales", color: "red" }, /color/],
    ["a missing name", { color: "#fff" }, /name/],
    ["a wrongly typed assignees", { name: "Sales", color: "#fff", assignees: "user-1" }, /assignees/],
  ])("addSharedInbox with %s", async (_name, body, pattern) => {
    expectError(await call("POST", INBOXES, { org: uniqueOrg(), body }), 400, pattern);
  });

  it("names a query parameter", async () => {
    expectError(await call("GET", "/v1/email-settings?type=bogus", { org: uniqueOrg() }), 400, /type/);
    expectError(await call("GET", "/v1/email-settings", { org: uniqueOrg() }), 400, /type/);
  });

  it("names a nested field", async () => {
    const response = await call("POST", ADDRESSES, {
      org: uniqueOrg(),
      body: { address: "a@example.com", user_ids: [7] },
    });
    expectError(response, 400, /user_ids\.0/);
  });
});

describe("unexpected errors (500)", () => {
  /** A D1 binding whose every statement fails, like a database without the schema. */
  function brokenD1(): D1Database {
    const fail = async () => {
      throw new Error("D1_ERROR: no such table: email_addresses: SQLITE_ERROR");
    };
    const statement = { bind: () => statement, all: fail, raw: fail, run: fail, first: fail };
    const session = { prepare: () => statement, batch: fail, getBookmark: () => null };
    const db = { prepare: () => statement, batch: fail, exec: fail, dump: fail, withSession: () => session };
    return db as unknown as D1Database;
  }

  it("answers a generic ErrorResponse with the request id, and logs the detail without customer data", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const address = "customer-secret@example.com";
    const response = await call("POST", ADDRESSES, { org: uniqueOrg(), body: { address }, env: { DB: brokenD1() } });
    const message = expectError(response, 500, /unexpected error/);
    const requestId = expectRequestId(response);
    expect(message).toContain(requestId);
    for (const leak of [
      /select|insert|email_addresses|SQLITE|D1_ERROR|no such table/i,
      /\bat\s+\S+\s*\(/,
      /\.ts:\d+/,
    ]) {
      expect(message).not.toMatch(leak);
    }
    expect(message).not.toContain(address);

    expect(log).toHaveBeenCalledTimes(1);
    const entry = JSON.parse(String(log.mock.calls[0]?.[0]));
    expect(entry).toMatchObject({ level: "error", requestId, method: "POST", path: ADDRESSES });
    // The reason is logged (drizzle keeps it as the cause), the bound values are not.
    expect(JSON.stringify(entry)).toMatch(/no such table: email_addresses/);
    expect(JSON.stringify(entry)).not.toContain(address);
    expect(entry.message).toMatch(/params: \[redacted\]/);
  });

  it("answers 500 ErrorResponse when the database binding is missing", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const response = await call("GET", ADDRESSES, { org: uniqueOrg(), env: { DB: undefined } });
    const message = expectError(response, 500);
    expect(message).not.toMatch(/prepare|undefined|TypeError/);
    expect(message).toContain(expectRequestId(response));
  });

  describe("handleError on an app built with createApp()", () => {
    function testApp() {
      const app = createApp({ outermost: [], authenticate: requireAuth, publicPaths: new Set() });
      app.get("/throws", () => {
        throw new Error("secret detail: SELECT * FROM settings WHERE org_id = 'org-1'");
      });
      app.get("/api-error", () => {
        throw new ApiError(409, "Conflicting change");
      });
      app.get("/http-exception", () => {
        throw new HTTPException(429, { message: "Slow down" });
      });
      return app;
    }

    async function request(path: string) {
      const token = await signToken({ org: uniqueOrg() });
      const response = await testApp().request(path, { headers: { authorization: `Bearer ${token}` } }, env as AppEnv);
      return { status: response.status, headers: response.headers, body: await response.json() };
    }

    it("hides the message and stack of an unexpected error", async () => {
      const log = vi.spyOn(console, "error").mockImplementation(() => {});
      const response = await request("/throws");
      const message = expectError(response, 500, /request id/);
      expect(message).not.toMatch(/secret|SELECT|settings|org-1/);
      expect(message).toContain(expectRequestId(response));
      expect(String(log.mock.calls[0]?.[0])).toContain("secret detail");
    });

    it("renders ApiError and HTTPException with their own status", async () => {
      expectError(await request("/api-error"), 409, /^Conflicting change$/);
      expectError(await request("/http-exception"), 429, /^Slow down$/);
    });
  });
});

describe("public documents", () => {
  it("serves GET /openapi.json without a token", async () => {
    const response = await call("GET", "/openapi.json", { token: null });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ openapi: "3.0.3", info: { title: "Messaging Settings API" } });
  });

  it("serves GET /docs without a token", async () => {
    const response = await call("GET", "/docs", { token: null });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/text\/html/);
    expect(response.body).toContain("/openapi.json");
  });

  it("still checks a token on every other path", async () => {
    for (const path of [ADDRESSES, INBOXES, "/v2/email-settings/inbox-buckets", "/v1/email-settings?type=signature"]) {
      expectError(await call("GET", path, { token: null }), 401);
    }
  });
});
