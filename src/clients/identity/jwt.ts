import { JWSRegisteredHeaders, JWTRegisteredClaims, parseJWT } from "@oslojs/jwt";
import { type JsonWebKeyWithId, JwksCache, JwksError, type JwksOptions, type KeySet } from "./jwks";
import { criticalHeaderProblem, isCanonicalCompactJws } from "./jws-compact";

/**
 * Bearer token verification.
 *
 * Production tokens are asymmetric (RS256 / ES256) and verified against the identity provider's JWKS.
 * The algorithm comes from an allow-list and must match the key type, so `none` and the classic
 * "HS256 signed with the public key" confusion are refused. HS256 is accepted only when a local
 * development secret is configured and no JWKS is, and then only with that secret.
 */
export interface JwtVerifierConfig {
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Asymmetric algorithms accepted from the JWKS. */
  algorithms: readonly string[];
  clockSkewSeconds: number;
  jwksCacheTtlSeconds: number;
  /** Bound on one JWKS fetch. */
  jwksFetchTimeoutMs: number;
  /** Longest a token may still be valid (`exp` minus now). */
  maxTokenLifetimeSeconds: number;
  /** HS256 secret; ignored whenever `jwksUrl` is set. */
  devSecret?: string;
}

/** 9999-12-31T23:59:59Z: no NumericDate beyond it is meaningful (and `Date` cannot hold much more). */
const MAX_NUMERIC_DATE = 253_402_300_799;

export class TokenError extends Error {
  constructor(
    message: string,
    /** Server-side misconfiguration rather than a bad token. */
    readonly misconfigured = false,
  ) {
    super(message);
    this.name = "TokenError";
  }
}

interface AlgorithmSpec {
  kty: "RSA" | "EC";
  import: SubtleCryptoImportKeyAlgorithm;
  verify: SubtleCryptoSignAlgorithm;
}

const ASYMMETRIC_ALGORITHMS: Record<string, AlgorithmSpec> = {
  RS256: {
    kty: "RSA",
    import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    verify: { name: "RSASSA-PKCS1-v1_5" },
  },
  ES256: {
    kty: "EC",
    import: { name: "ECDSA", namedCurve: "P-256" },
    verify: { name: "ECDSA", hash: "SHA-256" },
  },
};

export async function verifyJwt(token: string, config: JwtVerifierConfig): Promise<Record<string, unknown>> {
  let header: object;
  let payload: object;
  let signature: Uint8Array;
  let signedMessage: Uint8Array;
  if (!isCanonicalCompactJws(token)) {
    throw new TokenError(
      "Malformed bearer token: expected a JWT of three unpadded base64url segments (header.payload.signature)",
    );
  }
  try {
    [header, payload, signature, signedMessage] = parseJWT(token);
  } catch {
    throw new TokenError("Malformed bearer token: expected a JWT (header.payload.signature)");
  }
  if (Array.isArray(header) || Array.isArray(payload)) {
    throw new TokenError("Malformed bearer token: header and payload must be JSON objects");
  }
  const critical = criticalHeaderProblem(header);
  if (critical) throw new TokenError(critical);
  // The accessors throw plain Errors on wrongly typed fields; those are bad tokens, not server errors.
  const headers = new JWSRegisteredHeaders(header);
  if (!headers.hasAlgorithm()) throw new TokenError("Token header has no alg");
  const alg = readHeader(() => headers.algorithm(), "alg");

  // Once a JWKS is configured, only its keys count: a development secret never opens a second door.
  if (alg === "HS256" && config.devSecret && !config.jwksUrl) {
    await verifyHmac(config.devSecret, signature, signedMessage);
  } else if (config.algorithms.includes(alg) && alg in ASYMMETRIC_ALGORITHMS) {
    if (!config.jwksUrl) {
      throw new TokenError("Token verification is not configured: set JWT_JWKS_URL", true);
    }
    const kid = headers.hasKeyId() ? readHeader(() => headers.keyId(), "kid") : undefined;
    const key = await signingKey(config, kid, alg);
    await verifyAsymmetric(alg, key, signature, signedMessage);
  } else {
    throw new TokenError(`Token algorithm ${alg} is not accepted`);
  }

  verifyRegisteredClaims(payload as Record<string, unknown>, config);
  return payload as Record<string, unknown>;
}

function readHeader(read: () => string, name: string): string {
  try {
    return read();
  } catch {
    throw new TokenError(`Token header has a malformed ${name}`);
  }
}

/**
 * A NumericDate claim (RFC 7519: seconds since 1970) as a plain number, or undefined when absent.
 * Anything that is not a finite number between 1970 and 9999 is refused: such a value would become an
 * Invalid Date, and every comparison with NaN is false, so it would pass any time check.
 */
function numericDate(payload: Record<string, unknown>, name: "exp" | "nbf" | "iat"): number | undefined {
  if (!(name in payload)) return undefined;
  const value = payload[name];
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > MAX_NUMERIC_DATE) {
    throw new TokenError(`Token has a malformed ${name} claim: expected seconds since 1970`);
  }
  return value;
}

/**
 * The time checks of a verified token (exp present and not passed, lifetime bounded, nbf and iat not in the
 * future). Exported so a cached verification is re-checked against the clock on every use.
 */
export function verifyTimes(payload: Record<string, unknown>, config: JwtVerifierConfig) {
  const exp = numericDate(payload, "exp");
  const nbf = numericDate(payload, "nbf");
  const iat = numericDate(payload, "iat");
  const now = Date.now() / 1000;
  const skew = config.clockSkewSeconds;
  const maxLifetime = config.maxTokenLifetimeSeconds;
  // A bearer token without an expiry would stay valid forever once leaked.
  if (exp === undefined) throw new TokenError("Token has no expiry (exp claim)");
  if (exp + skew <= now) throw new TokenError("Token has expired");
  if (exp - now > maxLifetime + skew) {
    throw new TokenError(`Token lifetime is too long: exp lies more than ${maxLifetime} s in the future`);
  }
  if (nbf !== undefined && nbf - skew > now) throw new TokenError("Token is not valid yet (nbf is in the future)");
  if (iat !== undefined && iat - skew > now) throw new TokenError("Token was issued in the future (iat)");
}

function verifyRegisteredClaims(payload: Record<string, unknown>, config: JwtVerifierConfig) {
  verifyTimes(payload, config);
  const claims = new JWTRegisteredClaims(payload);
  try {
    if (config.issuer && (!claims.hasIssuer() || claims.issuer() !== config.issuer)) {
      throw new TokenError("Token issuer is not accepted");
    }
    if (config.audience && (!claims.hasAudiences() || !claims.audiences().includes(config.audience))) {
      throw new TokenError("Token audience is not accepted");
    }
  } catch (err) {
    if (err instanceof TokenError) throw err;
    // JWTRegisteredClaims throws on claims of the wrong type (e.g. a numeric iss).
    throw new TokenError("Token has malformed registered claims");
  }
}

/** The imported HMAC key of the (one) development secret, so it is imported once per isolate, not per token. */
let hmacKey: { secret: string; key: Promise<CryptoKey> } | undefined;

function hmacKeyFor(secret: string): Promise<CryptoKey> {
  if (hmacKey?.secret !== secret) {
    const key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    hmacKey = { secret, key };
  }
  return hmacKey.key;
}

async function verifyHmac(secret: string, signature: Uint8Array, message: Uint8Array) {
  const key = await hmacKeyFor(secret);
  if (!(await crypto.subtle.verify("HMAC", key, signature, message))) {
    throw new TokenError("Token signature is invalid");
  }
}

async function verifyAsymmetric(alg: string, key: CryptoKey, signature: Uint8Array, message: Uint8Array) {
  const spec = ASYMMETRIC_ALGORITHMS[alg];
  if (!spec) throw new TokenError(`Token algorithm ${alg} is not accepted`);
  let valid = false;
  try {
    valid = await crypto.subtle.verify(spec.verify, key, signature, message);
  } catch {
    valid = false;
  }
  if (!valid) throw new TokenError("Token signature is invalid");
}

const jwksCache = new JwksCache();

/** The verification key for `kid` / `alg` from the JWKS (refetched once, rate-limited, for an unknown kid). */
async function signingKey(config: JwtVerifierConfig, kid: string | undefined, alg: string): Promise<CryptoKey> {
  const url = config.jwksUrl as string;
  const options: JwksOptions = {
    ttlSeconds: config.jwksCacheTtlSeconds,
    timeoutMs: config.jwksFetchTimeoutMs,
  };
  let set = await misconfiguredOnFailure(jwksCache.current(url, options));
  let jwk = findKey(set.keys, kid, alg);
  if (!jwk) {
    const refreshed = await misconfiguredOnFailure(jwksCache.refreshForUnknownKey(url, options));
    if (refreshed) {
      set = refreshed;
      jwk = findKey(set.keys, kid, alg);
    }
  }
  if (!jwk) throw new TokenError("Token signing key is unknown");
  return importKey(set, jwk, alg);
}

/** A key set the identity provider could not deliver is a server-side problem (503), not a bad token. */
async function misconfiguredOnFailure<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    if (err instanceof JwksError) throw new TokenError(err.message, true);
    throw err;
  }
}

async function importKey(set: KeySet, jwk: JsonWebKeyWithId, alg: string): Promise<CryptoKey> {
  const cacheKey = `${jwk.kid ?? ""}:${alg}`;
  const cached = set.imported.get(cacheKey);
  if (cached) return cached;
  const spec = ASYMMETRIC_ALGORITHMS[alg];
  if (!spec) throw new TokenError(`Token algorithm ${alg} is not accepted`);
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("jwk", publicPart(jwk), spec.import, false, ["verify"]);
  } catch {
    throw new TokenError("Token signing key could not be used");
  }
  set.imported.set(cacheKey, key);
  return key;
}

function findKey(keys: JsonWebKeyWithId[], kid: string | undefined, alg: string): JsonWebKeyWithId | undefined {
  const kty = ASYMMETRIC_ALGORITHMS[alg]?.kty;
  return keys.find(
    (k) =>
      k.kty === kty &&
      (kid === undefined || k.kid === kid) &&
      (k.alg === undefined || k.alg === alg) &&
      (k.use === undefined || k.use === "sig"),
  );
}

function publicPart(jwk: JsonWebKeyWithId): JsonWebKey {
  return jwk.kty === "RSA" ? { kty: "RSA", n: jwk.n, e: jwk.e } : { kty: "EC", crv: jwk.crv, x: jwk.x, y: jwk.y };
}
