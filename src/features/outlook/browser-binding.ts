import { sha256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { decodeHex, encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import type { Database } from "@/db/client";
import { browserHasLiveState, STATE_TTL_MS } from "./outlook-oauth-states.store";

/**
 * Binds every connect flow to the browser that started it (login CSRF / account linking defence).
 *
 * `connectOutlook` gives the calling browser a random 256-bit secret in an HttpOnly cookie and stores
 * only its SHA-256 with the flow's state; the callback serves a state only to a request that carries
 * the cookie whose hash matches. A Microsoft URL sent to someone else is therefore worthless: their
 * browser has no such cookie, and script cannot read or set an HttpOnly cookie.
 *
 * `__Host-` (which browsers accept only with Secure, `Path=/` and no Domain): a sibling subdomain cannot
 * plant one for this host, as it could a `__Secure-` cookie with `Domain=` the parent, to pin a victim's
 * browser to the attacker's flow. `SameSite=Lax`: the callback is a top-level GET navigation coming from
 * Microsoft's (cross-site) login pages, which carries Lax cookies but not Strict ones.
 */
export const FLOW_COOKIE = {
  name: "__Host-outlook_connect",
  attributes: {
    path: "/",
    httpOnly: true,
    secure: true,
    sameSite: "Lax",
    maxAge: STATE_TTL_MS / 1000,
  },
} as const;

/** What the response does with the flow cookie: (re)set it for the state lifetime, or remove it. */
export type FlowCookieChange = { action: "set"; secret: string } | { action: "clear" };

/** 32 random bytes, base64url without padding. */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const isWellFormedSecret = (value: string | undefined): value is string =>
  value !== undefined && SECRET_PATTERN.test(value);

export function hashBrowserSecret(secret: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(secret)));
}

/** Whether the cookie's secret hashes to the state's binding; constant time in the hash comparison. */
export function browserMatches(storedHash: string | null, secret: string | undefined): boolean {
  if (!storedHash || !isWellFormedSecret(secret)) return false;
  let stored: Uint8Array;
  try {
    stored = decodeHex(storedHash);
  } catch {
    return false;
  }
  return constantTimeEqual(stored, sha256(new TextEncoder().encode(secret)));
}

/**
 * The flow secret for a new flow of this org and user in the calling browser. A cookie the browser
 * already carries is reused only when it is one this service handed out for a flow of the same org and
 * user that is still in progress: then a second tab's flow does not invalidate the first tab's. Any
 * other value (absent, malformed, expired, chosen by the caller, or another org's) gets a fresh secret,
 * so a caller can never bind its flow to a secret it did not receive from us for itself.
 */
export async function browserSecretFor(
  db: Database,
  cookie: string | undefined,
  startedBy: { orgId: string; userId: string | undefined },
): Promise<{ secret: string; hash: string }> {
  if (isWellFormedSecret(cookie)) {
    const hash = hashBrowserSecret(cookie);
    if (await browserHasLiveState(db, hash, startedBy)) return { secret: cookie, hash };
  }
  const secret = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
  return { secret, hash: hashBrowserSecret(secret) };
}

/** After a callback was served: keep the cookie while the browser has another flow in progress. */
export async function cookieAfterCallback(db: Database, secret: string): Promise<FlowCookieChange> {
  return (await browserHasLiveState(db, hashBrowserSecret(secret))) ? { action: "set", secret } : { action: "clear" };
}
