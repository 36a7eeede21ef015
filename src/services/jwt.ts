import { JWSRegisteredHeaders, JWTRegisteredClaims, parseJWT } from "@oslojs/jwt";

/**
 * Bearer token verification.
 *
 * Production tokens are asymmetric (RS256 / ES256) and verified against the identity provider's JWKS.
 * The algorithm comes from an allow-list and must match the key type, so `none` and the classic
 * "HS256 signed with the public key" confusion are refused. HS256 is accepted only when a local
 * development secret is configured, and then only with that secret.
 */
export interface JwtVerifierConfig {
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Asymmetric algorithms accepted from the JWKS. */
  algorithms: readonly string[];
  clockSkewSeconds: number;
  jwksCacheTtlSeconds: number;
  devSecret?: string;
}

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
  try {
    [header, payload, signature, signedMessage] = parseJWT(token);
  } catch {
    throw new TokenError("Malformed bearer token: expected a JWT (header.payload.signature)");
  }
  if (Array.isArray(header) || Array.isArray(payload)) {
    throw new TokenError("Malformed bearer token: header and payload must be JSON objects");
  }
  // The accessors throw plain Errors on wrongly typed fields; those are bad tokens, not server errors.
  const headers = new JWSRegisteredHeaders(header);
  if (!headers.hasAlgorithm()) throw new TokenError("Token header has no alg");
  const alg = readHeader(() => headers.algorithm(), "alg");

  if (alg === "HS256" && config.devSecret) {
    await verifyHmac(config.devSecret, signature, signedMessage);
  } else if (config.algorithms.includes(alg) && alg in ASYMMETRIC_ALGORITHMS) {
    if (!config.jwksUrl) {
      throw new TokenError("Token verification is not configured: set JWT_JWKS_URL", true);
    }
    const kid = headers.hasKeyId() ? readHeader(() => headers.keyId(), "kid") : undefined;
    const key = await jwksCache.keyFor(config.jwksUrl, kid, alg, config.jwksCacheTtlSeconds);
    await verifyAsymmetric(alg, key, signature, signedMessage);
  } else {
    throw new TokenError(`Token algorithm ${alg} is not accepted`);
  }

  verifyRegisteredClaims(payload, config);
  return payload as Record<string, unknown>;
}

function readHeader(read: () => string, name: string): string {
  try {
    return read();
  } catch {
    throw new TokenError(`Token header has a malformed ${name}`);
  }
}

function verifyRegisteredClaims(payload: object, config: JwtVerifierConfig) {
  const claims = new JWTRegisteredClaims(payload);
  const now = Date.now();
  const skewMs = config.clockSkewSeconds * 1000;
  try {
    // A bearer token without an expiry would stay valid forever once leaked.
    if (!claims.hasExpiration()) throw new TokenError("Token has no expiry (exp claim)");
    if (claims.expiration().getTime() + skewMs <= now) {
      throw new TokenError("Token has expired");
    }
    if (claims.hasNotBefore() && claims.notBefore().getTime() - skewMs > now) {
      throw new TokenError("Token is not valid yet (nbf is in the future)");
    }
    if (config.issuer && (!claims.hasIssuer() || claims.issuer() !== config.issuer)) {
      throw new TokenError("Token issuer is not accepted");
    }
    if (config.audience && (!claims.hasAudiences() || !claims.audiences().includes(config.audience))) {
      throw new TokenError("Token audience is not accepted");
    }
  } catch (err) {
    if (err instanceof TokenError) throw err;
    // JWTRegisteredClaims throws on claims of the wrong type (e.g. a string exp).
    throw new TokenError("Token has malformed registered claims");
  }
}

async function verifyHmac(secret: string, signature: Uint8Array, message: Uint8Array) {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
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

interface JsonWebKeyWithId extends JsonWebKey {
  kid?: string;
  use?: string;
  alg?: string;
}

interface CachedKeySet {
  keys: JsonWebKeyWithId[];
  fetchedAt: number;
  imported: Map<string, CryptoKey>;
}

/**
 * Keys are cached per isolate across requests. An unknown `kid` triggers one refetch (identity
 * providers rotate keys), but refetches are spaced out so a stream of forged kids cannot turn into
 * a stream of JWKS requests.
 */
class JwksCache {
  private sets = new Map<string, CachedKeySet>();
  private inflight = new Map<string, Promise<CachedKeySet>>();
  static readonly MIN_REFRESH_INTERVAL_MS = 30_000;

  async keyFor(url: string, kid: string | undefined, alg: string, ttlSeconds: number): Promise<CryptoKey> {
    let set = this.sets.get(url);
    const now = Date.now();
    if (!set || now - set.fetchedAt > ttlSeconds * 1000) {
      set = await this.refresh(url);
    }
    let jwk = findKey(set.keys, kid, alg);
    if (!jwk && now - set.fetchedAt >= JwksCache.MIN_REFRESH_INTERVAL_MS) {
      set = await this.refresh(url);
      jwk = findKey(set.keys, kid, alg);
    }
    if (!jwk) throw new TokenError("Token signing key is unknown");
    const cacheKey = `${jwk.kid ?? ""}:${alg}`;
    let key = set.imported.get(cacheKey);
    if (!key) {
      const spec = ASYMMETRIC_ALGORITHMS[alg];
      if (!spec) throw new TokenError(`Token algorithm ${alg} is not accepted`);
      try {
        key = await crypto.subtle.importKey("jwk", publicPart(jwk), spec.import, false, ["verify"]);
      } catch {
        throw new TokenError("Token signing key could not be used");
      }
      set.imported.set(cacheKey, key);
    }
    return key;
  }

  private refresh(url: string): Promise<CachedKeySet> {
    const pending = this.inflight.get(url);
    if (pending) return pending;
    const promise = fetchKeySet(url)
      .then((set) => {
        this.sets.set(url, set);
        return set;
      })
      .finally(() => this.inflight.delete(url));
    this.inflight.set(url, promise);
    return promise;
  }
}

async function fetchKeySet(url: string): Promise<CachedKeySet> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: "application/json" } });
  } catch {
    throw new TokenError("Token signing keys could not be fetched", true);
  }
  if (!response.ok) throw new TokenError(`Token signing keys could not be fetched (HTTP ${response.status})`, true);
  const body = (await response.json().catch(() => null)) as { keys?: unknown } | null;
  if (!body || !Array.isArray(body.keys)) throw new TokenError("Token signing keys are malformed", true);
  return { keys: body.keys as JsonWebKeyWithId[], fetchedAt: Date.now(), imported: new Map() };
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

const jwksCache = new JwksCache();
