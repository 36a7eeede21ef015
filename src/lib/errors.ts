import type { Hook, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { logEvent } from "./log";
import type { AppBindings } from "./types";

/**
 * The one error type handlers, middleware and services throw. `onError` and the validation hook
 * both render it as the contract's `ErrorResponse` envelope: `{"error": string, "status": int}`.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const badRequest = (message: string) => new ApiError(400, message);
export const unauthorized = (message: string) => new ApiError(401, message);
export const forbidden = (message: string) => new ApiError(403, message);
export const notFound = (message: string) => new ApiError(404, message);
export const conflict = (message: string) => new ApiError(409, message);

export function errorBody(status: number, message: string) {
  return { error: message, status };
}

/** Turns zod issues into one sentence naming each offending field, e.g. `body.color: must be ...`. */
export function describeZodError(error: z.ZodError, target?: string): string {
  const parts = error.issues.slice(0, 5).map((issue) => {
    const path = [target === "json" ? "" : target, ...issue.path.map(String)].filter(Boolean).join(".");
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const more = error.issues.length > 5 ? ` (and ${error.issues.length - 5} more)` : "";
  return `Invalid request: ${parts.join("; ")}${more}`;
}

/** Shared validation hook of every router: a failed zod check becomes a 400 ErrorResponse. */
export const defaultHook: Hook<unknown, AppBindings, string, unknown> = (result, c) => {
  if (!result.success) {
    const target = "target" in result ? (result.target as string) : undefined;
    return c.json(errorBody(400, describeZodError(result.error as z.ZodError, target)), 400);
  }
};

export function handleError(err: Error, c: Context<AppBindings>) {
  if (err instanceof ApiError) {
    return c.json(errorBody(err.status, err.message), err.status);
  }
  if (err instanceof HTTPException) {
    // The contract knows no 415: a body that is not JSON is an invalid request like malformed JSON.
    const status = (err.status === 415 ? 400 : err.status) as ContentfulStatusCode;
    const message = httpExceptionMessage(err, c.req.header("content-type"));
    return c.json(errorBody(status, message), status);
  }
  const requestId = c.get("requestId");
  // Log the detail with the request id; the client only sees a generic message and the id.
  logEvent("error", "unexpected_error", { requestId, method: c.req.method, path: c.req.path, ...errorForLog(err) });
  return c.json(
    errorBody(
      500,
      `An unexpected error occurred (request id ${requestId ?? "unknown"}). Please retry or contact support.`,
    ),
    500,
  );
}

function httpExceptionMessage(err: HTTPException, contentType: string | undefined): string {
  if (err.status === 400 && /malformed json/i.test(err.message)) {
    return "Malformed JSON in request body: send a valid JSON document with Content-Type: application/json";
  }
  if (err.status === 415) {
    const sent = contentType
      ? `Content-Type '${contentType.slice(0, 100)}' is not supported`
      : "The body has no Content-Type";
    return `${sent}: send the request body as JSON with Content-Type: application/json`;
  }
  return err.message || "Request failed";
}

/**
 * The error and its causes as logged. drizzle wraps a failed statement as "Failed query: <sql>\nparams:
 * <values>" with the driver's error (the actual reason, e.g. "no such table") as `cause`: the causes are
 * logged, the bound values are not, since they carry customer data (addresses, signature HTML).
 */
function errorForLog(err: Error) {
  const causes: { error: string; message: string }[] = [];
  for (let cause = err.cause, depth = 0; cause !== undefined && cause !== null && depth < 4; depth++) {
    causes.push(
      cause instanceof Error
        ? { error: cause.name, message: redactQueryParams(cause.message) }
        : { error: typeof cause, message: redactQueryParams(String(cause)) },
    );
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return {
    error: err.name,
    message: redactQueryParams(err.message),
    stack: err.stack && redactQueryParams(err.stack),
    ...(causes.length > 0 && { causes }),
  };
}

const PARAMS_MARKER = "\nparams: ";
const LOGGED_TEXT_MAX = 4000;
const isSpace = (ch: string | undefined) => ch !== undefined && /\s/.test(ch);

/**
 * Replaces drizzle's bound-values line ("\nparams: ...") with "[redacted]". The values run up to the
 * stack trace (a newline, whitespace and "at ") or to the end of the text. One forward scan, no
 * backtracking regex: error text can carry customer data of any shape, e.g. long runs of whitespace.
 */
export function redactQueryParams(text: string): string {
  const start = text.indexOf(PARAMS_MARKER);
  if (start < 0) return text.slice(0, LOGGED_TEXT_MAX);
  const end = stackFrameStart(text, start + PARAMS_MARKER.length);
  return `${text.slice(0, start)}${PARAMS_MARKER}[redacted]${text.slice(end)}`.slice(0, LOGGED_TEXT_MAX);
}

/**
 * The first index at or after `from` where a newline is followed by one or more whitespace characters
 * and then "at " (a stack frame), else the text's length. Each maximal whitespace run is read once: the
 * earliest newline in it that has whitespace after it qualifies when "at " follows the run.
 */
function stackFrameStart(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    if (!isSpace(text[i])) {
      i++;
      continue;
    }
    let newline = -1;
    for (; i < text.length && isSpace(text[i]); i++) if (newline < 0 && text[i] === "\n") newline = i;
    if (newline >= 0 && newline < i - 1 && text.startsWith("at ", i)) return newline;
  }
  return text.length;
}
