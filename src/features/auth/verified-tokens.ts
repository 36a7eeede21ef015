import { type JwtVerifierConfig, verifyJwt, verifyTimes } from "@/clients/identity/jwt";

/**
 * Bearer tokens this isolate has verified, so a client that sends the same token with every request pays
 * for its signature check (and JSON parsing) once, not per request.
 *
 * - Only successful verifications are kept, keyed by the exact token string and every verifier setting
 *   (JWKS URL, issuer, audience, algorithms, clock skew, lifetime bound, development secret): a token that
 *   differs in one byte, or a deployment with other settings, is verified in full.
 * - An entry lives until the token expires, and at most `JWKS_CACHE_TTL_SECONDS` (the time the key set it
 *   was checked against is reused anyway), at most MAX_ENTRY_MS; the time checks (exp, lifetime, nbf, iat)
 *   run again on every use, so a cached token stops working the moment it expires.
 * - At most MAX_ENTRIES tokens are kept; the oldest go first.
 */
export const MAX_ENTRIES = 1000;
const MAX_ENTRY_MS = 10 * 60 * 1000;

interface Entry {
  claims: Readonly<Record<string, unknown>>;
  until: number;
}

const verified = new Map<string, Entry>();

function cacheKey(token: string, config: JwtVerifierConfig): string {
  const settings = [
    config.jwksUrl,
    config.issuer,
    config.audience,
    config.algorithms.join(","),
    config.clockSkewSeconds,
    config.maxTokenLifetimeSeconds,
    config.devSecret,
  ];
  return `${JSON.stringify(settings)}\n${token}`;
}

/** verifyJwt, answered from this isolate's cache for a token it has verified with the same settings. */
export async function verifyBearerToken(token: string, config: JwtVerifierConfig): Promise<Record<string, unknown>> {
  const key = cacheKey(token, config);
  const now = Date.now();
  const hit = verified.get(key);
  if (hit && now < hit.until) {
    verifyTimes(hit.claims, config);
    return hit.claims;
  }
  if (hit) verified.delete(key);
  const claims = Object.freeze(await verifyJwt(token, config));
  remember(key, claims, config, now);
  return claims;
}

function remember(key: string, claims: Readonly<Record<string, unknown>>, config: JwtVerifierConfig, now: number) {
  const exp = typeof claims.exp === "number" ? claims.exp * 1000 : now;
  const until = Math.min(exp, now + config.jwksCacheTtlSeconds * 1000, now + MAX_ENTRY_MS);
  if (until <= now) return;
  while (verified.size >= MAX_ENTRIES) {
    const oldest = verified.keys().next().value;
    if (oldest === undefined) break;
    verified.delete(oldest);
  }
  verified.set(key, { claims, until });
}
