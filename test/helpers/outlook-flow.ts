import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { OutlookTokenUnavailableError } from "@/features/outlook";
import {
  ConnectOutlookResponseSchema,
  OAuthCallbackResponseSchema,
  OutlookConnectionErrorSchema,
  OutlookConnectionsResponseSchema,
} from "@/features/outlook/outlook.schemas";
import type { AppEnv } from "@/lib/types";
import { type ApiResponse, type CallOptions, call, expectBody } from "./api";

/**
 * The Microsoft 365 connect flow as tests drive it: the OAuth stand-in's admin API
 * (test/servers/oauth-server.ts), a user's browser at Microsoft (`browse`), and the user's browser at this
 * API (`FlowBrowser`), which keeps the flow cookie connectOutlook sets and sends it back like a browser.
 */

export const testEnv = env as unknown as AppEnv & { TEST_MS_ADMIN_URL: string };
export const MOCK = testEnv.TEST_MS_ADMIN_URL;

export const CONNECT = "/v2/outlook/connect";
export const CALLBACK = "/v2/outlook/oauth/callback";
export const STATUS = "/v2/outlook/connection/status";
export const DISCONNECT = "/v2/outlook/connection/disconnect";
/** Spelled out rather than imported: the cookie's name is part of what the tests pin down. */
export const FLOW_COOKIE_NAME = "__Host-outlook_connect";

export interface MockUser {
  login: string;
  tid: string;
  oid: string;
  name: string;
}

export interface TenantReport {
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

export async function mockPost(path: string, body: unknown) {
  const response = await fetch(`${MOCK}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.ok, await response.clone().text()).toBe(true);
  return response.json();
}

export async function newTenant(config: Record<string, unknown> = {}) {
  const tid = crypto.randomUUID();
  await mockPost(`/__tenants/${tid}`, config);
  return tid;
}

export async function newUser(tid: string, options: { admin?: boolean; name?: string } = {}): Promise<MockUser> {
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

export async function tenantReport(tid: string): Promise<TenantReport> {
  return (await fetch(`${MOCK}/__tenants/${tid}`)).json();
}

export async function rows(sql: string, ...params: unknown[]) {
  return (
    await testEnv.DB.prepare(sql)
      .bind(...params)
      .all<Record<string, unknown>>()
  ).results;
}

const ErrorBody = OutlookConnectionErrorSchema.strict();

export function expectOutlookError(response: ApiResponse, status: 400 | 403, error?: string) {
  const body = expectBody(response, status, ErrorBody);
  expect(body.status).toBe(status);
  if (error) expect(body.error).toBe(error);
  return body;
}

/** A user's browser at Microsoft: opens the URL as `login`, follows nothing, returns the redirect back. */
export async function browse(url: string, login: string): Promise<string> {
  const target = new URL(url);
  target.searchParams.set("login_hint", login);
  const response = await fetch(target, { redirect: "manual" });
  await response.body?.cancel();
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get("location") ?? "");
  expect(`${location.origin}${location.pathname}`).toBe(testEnv.MS_REDIRECT_URI);
  return `${location.pathname}${location.search}`;
}

/** One `Set-Cookie` header: name, value and attributes (names lower-cased, flag attributes as ""). */
export interface SetCookie {
  name: string;
  value: string;
  attributes: Record<string, string>;
}

export function parseSetCookie(header: string): SetCookie {
  const [pair = "", ...rest] = header.split(";").map((part) => part.trim());
  const eq = pair.indexOf("=");
  const attributes: Record<string, string> = {};
  for (const part of rest) {
    const at = part.indexOf("=");
    if (at === -1) attributes[part.toLowerCase()] = "";
    else attributes[part.slice(0, at).toLowerCase()] = part.slice(at + 1);
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
}

/** The flow cookies a response sets (normally one, or none). */
export const flowCookiesOf = (response: ApiResponse) =>
  response.headers
    .getSetCookie()
    .map(parseSetCookie)
    .filter((cookie) => cookie.name === FLOW_COOKIE_NAME);

/** RFC 6265 5.1.4: whether a browser sends a cookie with `cookiePath` on a request to `pathname`. */
function pathMatches(pathname: string, cookiePath: string): boolean {
  if (pathname === cookiePath) return true;
  return pathname.startsWith(cookiePath) && (cookiePath.endsWith("/") || pathname[cookiePath.length] === "/");
}

/**
 * A user's browser at this API: sends the flow cookie it holds (on paths under its Path, like a browser)
 * and keeps or drops it as responses say. Each instance is a separate browser.
 */
export class FlowBrowser {
  private cookie: { value: string; path: string } | undefined;

  /** The flow cookie's value, if this browser holds one. */
  get flowCookie(): string | undefined {
    return this.cookie?.value;
  }

  /** Plants a cookie value (another browser's, or a forged one), as an attacker's test would. */
  setFlowCookie(value: string | undefined, path = "/") {
    this.cookie = value === undefined ? undefined : { value, path };
  }

  async call<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const pathname = new URL(path, "https://api.test").pathname;
    if (this.cookie && pathMatches(pathname, this.cookie.path)) {
      headers.cookie = `${FLOW_COOKIE_NAME}=${this.cookie.value}`;
    }
    const response = await call<T>(method, path, { ...options, headers });
    for (const set of flowCookiesOf(response)) {
      const gone = set.attributes["max-age"] === "0" || set.value === "";
      this.cookie = gone ? undefined : { value: set.value, path: set.attributes.path ?? "/" };
    }
    return response;
  }

  /** connectOutlook for `org` as epilot user `user`. */
  connect(org: string, user = "epilot-user-1") {
    return this.call("GET", CONNECT, { org, user });
  }

  async authorizationUrl(org: string, user = "epilot-user-1") {
    return expectBody(await this.connect(org, user), 200, ConnectOutlookResponseSchema.strict()).authorization_url;
  }

  /** Microsoft's redirect reaching the Worker in this browser: no bearer token, only the query (and cookie). */
  callback(pathAndQuery: string, options: { env?: Partial<AppEnv> } = {}) {
    return this.call("GET", pathAndQuery, { token: null, ...options });
  }

  /** The whole sign-in: connect, sign in at Microsoft as `user`, come back; expects it to succeed. */
  async connectAs(org: string, user: MockUser) {
    const back = await browse(await this.authorizationUrl(org), user.login);
    return expectBody(await this.callback(back), 200, OAuthCallbackResponseSchema.strict());
  }
}

export async function status(org: string) {
  return expectBody(await call("GET", STATUS, { org }), 200, OutlookConnectionsResponseSchema.strict());
}

/** Asserts that getAccessToken & co. refused with OutlookTokenUnavailableError (409) for `reason`. */
export async function expectUnavailable(promise: Promise<unknown>, reason: string) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OutlookTokenUnavailableError);
  expect((err as OutlookTokenUnavailableError).reason).toBe(reason);
  expect((err as OutlookTokenUnavailableError).status).toBe(409);
}
