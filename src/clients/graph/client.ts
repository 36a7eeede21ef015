/**
 * A small Microsoft Graph client for the mailbox features.
 *
 * - Every request sends `Prefer: IdType="ImmutableId"` (message ids that survive moves between folders)
 *   and, for lists, `odata.maxpagesize`.
 * - `@odata.nextLink` is followed only when it points at the configured MS_GRAPH_BASE_URL (same origin
 *   and path prefix): a link elsewhere would carry the bearer token to another host.
 * - At most MAX_IN_FLIGHT requests run per mailbox in this isolate (Graph's own per-mailbox limit is 4);
 *   a `RequestSlots` (the mailbox's Durable Object, for the sync) extends the limit across isolates.
 * - 429 / 503 become GraphThrottledError with the Retry-After delay, so callers can retry later
 *   without counting the attempt as a failure.
 */
import { SlotLimiter } from "./limiter";

export const MAX_IN_FLIGHT_PER_MAILBOX = 4;
const REQUEST_TIMEOUT_MS = 30_000;
/** An attachment stream (up to MAILBOX_ATTACHMENT_MAX_BYTES) may take longer than one JSON answer. */
const STREAM_TIMEOUT_MS = 300_000;
const DEFAULT_RETRY_AFTER_SECONDS = 5;

export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Retrying cannot help (e.g. a nextLink to another host). */
    readonly permanent = false,
  ) {
    super(message);
    this.name = "GraphError";
  }
}

/** 429 / 503: Graph asks us to come back after `retryAfterSeconds`. */
export class GraphThrottledError extends GraphError {
  constructor(
    status: number,
    code: string,
    readonly retryAfterSeconds: number,
  ) {
    super(status, code, `Microsoft Graph throttled the request (HTTP ${status}); retry after ${retryAfterSeconds}s`);
    this.name = "GraphThrottledError";
  }
}

const limiters = new Map<string, SlotLimiter>();

function limiterFor(key: string) {
  let limiter = limiters.get(key);
  if (!limiter) {
    limiter = new SlotLimiter(MAX_IN_FLIGHT_PER_MAILBOX);
    limiters.set(key, limiter);
  }
  return limiter;
}

function parseRetryAfter(value: string | null): number {
  if (!value) return DEFAULT_RETRY_AFTER_SECONDS;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  if (Number.isFinite(date)) return Math.max(0, Math.ceil((date - Date.now()) / 1000));
  return DEFAULT_RETRY_AFTER_SECONDS;
}

interface GraphPage<T> {
  value: T[];
  nextLink?: string;
  count?: number;
}

/** A limit shared beyond this isolate: `acquire` waits for a free slot and answers its release. */
export interface RequestSlots {
  acquire(): Promise<() => Promise<void>>;
}

export class GraphClient {
  private readonly base: URL;
  constructor(
    baseUrl: string,
    private readonly token: string,
    /** Requests are limited per this key (the mailbox, with its org). */
    private readonly limiterKey: string,
    private readonly sharedSlots?: RequestSlots,
  ) {
    this.base = new URL(baseUrl.replace(/(?<!\/)\/+$/, ""));
  }

  /** A URL under the Graph base for `path` (segments must already be encoded). */
  url(path: string, query?: Record<string, string>): string {
    const url = new URL(`${this.base.href.replace(/(?<!\/)\/+$/, "")}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    return url.toString();
  }

  /** Only links to the configured Graph origin and path may be requested with our token. */
  assertGraphUrl(link: string): string {
    let url: URL;
    try {
      url = new URL(link);
    } catch {
      throw new GraphError(502, "InvalidNextLink", "Microsoft Graph answered an invalid @odata.nextLink", true);
    }
    const basePath = this.base.pathname.replace(/(?<!\/)\/+$/, "");
    if (url.origin !== this.base.origin || !(url.pathname === basePath || url.pathname.startsWith(`${basePath}/`))) {
      throw new GraphError(
        502,
        "ForeignNextLink",
        `Refusing to follow an @odata.nextLink outside the configured Graph host (${url.host})`,
        true,
      );
    }
    return url.toString();
  }

  async request<T>(
    method: string,
    link: string,
    options: { maxPageSize?: number; body?: unknown } = {},
  ): Promise<T | undefined> {
    const response = await this.send(method, link, { ...options, accept: "application/json" });
    if (response.status === 204) return undefined;
    return (await response.json()) as T;
  }

  /**
   * A GET whose body is read by the caller as a stream (an attachment's `$value`). The request holds its
   * slot only until the response headers arrive; its timeout covers the whole body.
   */
  stream(link: string): Promise<Response> {
    return this.send("GET", link, { accept: "*/*", timeoutMs: STREAM_TIMEOUT_MS });
  }

  /** Sends one request (within the limits); answers a successful response, or throws the Graph error. */
  private async send(
    method: string,
    link: string,
    options: { maxPageSize?: number; body?: unknown; accept: string; timeoutMs?: number },
  ): Promise<Response> {
    const url = this.assertGraphUrl(link);
    const prefer = ['IdType="ImmutableId"'];
    if (options.maxPageSize) prefer.push(`odata.maxpagesize=${options.maxPageSize}`);
    const send = () =>
      fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: options.accept,
          prefer: prefer.join(", "),
          ...(options.body !== undefined && { "content-type": "application/json" }),
        },
        ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(options.timeoutMs ?? REQUEST_TIMEOUT_MS),
      });
    const response = await limiterFor(this.limiterKey).run(async () => {
      if (!this.sharedSlots) return send();
      const release = await this.sharedSlots.acquire();
      try {
        return await send();
      } finally {
        await release();
      }
    });
    if (response.status === 429 || response.status === 503) {
      await response.body?.cancel();
      throw new GraphThrottledError(response.status, "Throttled", parseRetryAfter(response.headers.get("retry-after")));
    }
    if (!response.ok) {
      const text = await response.text();
      let code = `HTTP${response.status}`;
      let message = text.slice(0, 300);
      try {
        const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
        code = body.error?.code ?? code;
        message = body.error?.message ?? message;
      } catch {
        // not JSON: keep the text
      }
      throw new GraphError(response.status, code, `Microsoft Graph answered ${response.status} ${code}: ${message}`);
    }
    return response;
  }

  get<T>(link: string, options: { maxPageSize?: number } = {}): Promise<T> {
    return this.request<T>("GET", link, options) as Promise<T>;
  }

  async page<T>(link: string, maxPageSize: number): Promise<GraphPage<T>> {
    const body = await this.get<{ value?: T[]; "@odata.nextLink"?: string; "@odata.count"?: number }>(link, {
      maxPageSize,
    });
    const nextLink = body["@odata.nextLink"];
    return {
      value: Array.isArray(body.value) ? body.value : [],
      // Checked (assertGraphUrl) by whoever follows it, after this page's messages are used.
      ...(nextLink && { nextLink }),
      ...(typeof body["@odata.count"] === "number" && { count: body["@odata.count"] }),
    };
  }
}

export const encodeSegment = (value: string) => encodeURIComponent(value);
