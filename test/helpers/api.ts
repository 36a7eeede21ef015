import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { z } from "zod";
import worker from "@/index";
import { ErrorResponseSchema } from "@/lib/openapi-helpers";
import type { AppEnv } from "@/lib/types";
import { signToken } from "./tokens";

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  /** A bearer token; `null` sends no Authorization header. Default: a fresh token for `org`. */
  token?: string | null;
  org?: string;
  user?: string;
  body?: unknown;
  /** A raw body sent as-is (for malformed JSON and size tests). */
  rawBody?: string;
  headers?: Record<string, string>;
  /**
   * Config vars / bindings to override for this one request. The request then goes to the Worker's
   * fetch handler with the test env plus these overrides, as a deployment with other vars would.
   */
  env?: Partial<AppEnv>;
  /**
   * Scheme and host the request is sent to (default `https://api.test`, a deployed Worker). Use a
   * loopback one such as `http://localhost:8787` to act as `npm start` on a developer's machine, the
   * only place HS256 development tokens are honoured.
   */
  baseUrl?: string;
}

/** Calls the Worker's fetch handler and reads the whole body (JSON when there is one). */
export async function call<T = unknown>(
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<ApiResponse<T>> {
  const headers = new Headers(options.headers);
  const token = options.token === undefined ? await signToken({ org: options.org, user: options.user }) : options.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
  const request = new Request(`${options.baseUrl ?? "https://api.test"}${path}`, { method, headers, body });
  const response = options.env
    ? await worker.fetch(request, { ...(env as unknown as AppEnv), ...options.env }, createExecutionContext())
    : await exports.default.fetch(request);
  const text = await response.text();
  let parsed: unknown = text;
  if (text && response.headers.get("content-type")?.includes("application/json")) parsed = JSON.parse(text);
  return { status: response.status, body: parsed as T, headers: response.headers };
}

/** Asserts the contract's ErrorResponse envelope with the given status, and returns its message. */
export function expectError(response: ApiResponse, status: number, messagePattern?: RegExp): string {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  const parsed = ErrorResponseSchema.strict().parse(response.body);
  expect(parsed.status).toBe(status);
  if (messagePattern) expect(parsed.error).toMatch(messagePattern);
  return parsed.error;
}

/** Asserts a status and that the body matches the declared response schema; returns the parsed body. */
export function expectBody<S extends z.ZodType>(response: ApiResponse, status: number, schema: S): z.infer<S> {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  const result = schema.safeParse(response.body);
  expect(result.success, result.success ? "" : JSON.stringify(result.error.issues)).toBe(true);
  return result.data as z.infer<S>;
}

let counter = 0;
/** A unique org id per test so tests never see each other's rows. */
export function uniqueOrg(prefix = "org") {
  counter++;
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}-${counter}`;
}
