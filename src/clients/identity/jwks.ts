import { logEvent } from "@/lib/log";

/**
 * The identity provider's signing keys (JWKS), cached per isolate.
 *
 * - A key set is reused for its TTL. An unknown `kid` refetches (identity providers rotate keys), at
 *   most once per `MIN_REFRESH_INTERVAL_MS` counted from the last attempt, so a stream of forged kids
 *   cannot turn into a stream of JWKS requests.
 * - Every fetch is bounded by a timeout.
 * - While the provider fails (error, timeout, malformed answer), the last good key set keeps being
 *   served for up to `MAX_STALE_MS` past its TTL.
 * - After a failed fetch no further fetch is made for a backoff period (5 s, doubling per consecutive
 *   failure up to 60 s); requests in it use the stale keys or fail fast with the last error.
 */
export class JwksError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JwksError";
  }
}

export interface JwksOptions {
  ttlSeconds: number;
  timeoutMs: number;
}

export interface JsonWebKeyWithId extends JsonWebKey {
  kid?: string;
  use?: string;
  alg?: string;
}

export interface KeySet {
  keys: JsonWebKeyWithId[];
  fetchedAt: number;
  /** Keys already imported for verification, by `kid:alg`. */
  imported: Map<string, CryptoKey>;
}

interface UrlState {
  /** The last key set fetched successfully. */
  set?: KeySet;
  lastAttemptAt: number;
  consecutiveFailures: number;
  /** No fetch before this time (backoff after a failure). */
  retryAt: number;
  lastError?: JwksError;
  inflight?: Promise<KeySet>;
}

export const MIN_REFRESH_INTERVAL_MS = 30_000;
export const MAX_STALE_MS = 60 * 60 * 1000;
export const FAILURE_BACKOFF_MIN_MS = 5_000;
export const FAILURE_BACKOFF_MAX_MS = 60_000;
/** Largest JWKS document read; real ones are a few KB. */
const MAX_JWKS_BYTES = 256 * 1024;

export class JwksCache {
  private states = new Map<string, UrlState>();

  /** The key set to verify with now: fresh, refreshed, or (while the provider fails) stale. */
  async current(url: string, options: JwksOptions): Promise<KeySet> {
    const state = this.state(url);
    const now = Date.now();
    const set = state.set;
    if (set && now - set.fetchedAt <= options.ttlSeconds * 1000) return set;
    const stale = set && now - set.fetchedAt <= options.ttlSeconds * 1000 + MAX_STALE_MS ? set : undefined;
    if (now < state.retryAt) {
      if (stale) return stale;
      throw state.lastError ?? new JwksError("Token signing keys could not be fetched");
    }
    try {
      return await this.refresh(url, state, options);
    } catch (err) {
      if (!(err instanceof JwksError) || !stale) throw err;
      logEvent("warn", "jwks_serving_stale_keys", { url, ageSeconds: Math.round((now - stale.fetchedAt) / 1000) });
      return stale;
    }
  }

  /**
   * A fresh key set for a token whose kid the current one lacks, or undefined when a refetch is not
   * allowed yet (one was attempted within the last 30 s, or the provider is in backoff).
   */
  async refreshForUnknownKey(url: string, options: JwksOptions): Promise<KeySet | undefined> {
    const state = this.state(url);
    const now = Date.now();
    if (state.inflight) return state.inflight;
    if (now - state.lastAttemptAt < MIN_REFRESH_INTERVAL_MS || now < state.retryAt) return undefined;
    return this.refresh(url, state, options);
  }

  private state(url: string): UrlState {
    let state = this.states.get(url);
    if (!state) {
      state = { lastAttemptAt: Number.NEGATIVE_INFINITY, consecutiveFailures: 0, retryAt: 0 };
      this.states.set(url, state);
    }
    return state;
  }

  /** One fetch per URL at a time; concurrent callers share it. */
  private refresh(url: string, state: UrlState, options: JwksOptions): Promise<KeySet> {
    if (state.inflight) return state.inflight;
    state.lastAttemptAt = Date.now();
    const promise = fetchKeySet(url, options.timeoutMs)
      .then((set) => {
        state.set = set;
        state.consecutiveFailures = 0;
        state.retryAt = 0;
        state.lastError = undefined;
        return set;
      })
      .catch((err: unknown) => {
        const error = err instanceof JwksError ? err : new JwksError("Token signing keys could not be fetched");
        state.consecutiveFailures++;
        const backoff = Math.min(FAILURE_BACKOFF_MIN_MS * 2 ** (state.consecutiveFailures - 1), FAILURE_BACKOFF_MAX_MS);
        state.retryAt = Date.now() + backoff;
        state.lastError = error;
        logEvent("warn", "jwks_fetch_failed", {
          url,
          reason: error.message,
          consecutiveFailures: state.consecutiveFailures,
          retryInMs: backoff,
        });
        throw error;
      })
      .finally(() => {
        state.inflight = undefined;
      });
    state.inflight = promise;
    return promise;
  }
}

async function fetchKeySet(url: string, timeoutMs: number): Promise<KeySet> {
  let text: string;
  try {
    const response = await fetch(url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new JwksError(`Token signing keys could not be fetched (HTTP ${response.status})`);
    }
    const declared = Number(response.headers.get("content-length"));
    if (declared > MAX_JWKS_BYTES) {
      await response.body?.cancel();
      throw new JwksError("Token signing keys are malformed (key set too large)");
    }
    text = await response.text();
  } catch (err) {
    if (err instanceof JwksError) throw err;
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    throw new JwksError(
      timedOut
        ? `Token signing keys could not be fetched (no answer within ${timeoutMs} ms)`
        : "Token signing keys could not be fetched",
    );
  }
  if (text.length > MAX_JWKS_BYTES) throw new JwksError("Token signing keys are malformed (key set too large)");
  let body: { keys?: unknown } | null = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  if (!body || typeof body !== "object" || !Array.isArray(body.keys)) {
    throw new JwksError("Token signing keys are malformed");
  }
  const keys = body.keys.filter((k): k is JsonWebKeyWithId => typeof k === "object" && k !== null);
  return { keys, fetchedAt: Date.now(), imported: new Map() };
}
