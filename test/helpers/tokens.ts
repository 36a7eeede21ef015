import { env } from "cloudflare:workers";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { createJWTSignatureMessage, encodeJWT } from "@oslojs/jwt";

type KeyName = "rs256" | "es256" | "rotated";
interface TestKey {
  kid: string;
  privateJwk: JsonWebKey;
  publicJwk: JsonWebKey;
}

export function testKeys(): Record<KeyName, TestKey> {
  return JSON.parse(env.TEST_SIGNING_KEYS);
}

export interface TokenOptions {
  org?: string;
  user?: string;
  /** Extra or overriding claims; `undefined` values remove a claim. */
  claims?: Record<string, unknown>;
  key?: KeyName;
  /** Overrides the header's kid. */
  kid?: string;
  expiresInSeconds?: number;
  /** Extra or overriding JOSE header fields; `undefined` values remove a field (e.g. `{ kid: undefined }`). */
  header?: Record<string, unknown>;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * The claims of a test token. `iss` and `aud` default to the configured JWT_ISSUER / JWT_AUDIENCE (which
 * the Worker requires once a JWKS is set); pass `claims: { iss: undefined }` to leave one out.
 */
function payloadFor(options: TokenOptions) {
  const claims: Record<string, unknown> = {
    iss: env.JWT_ISSUER || undefined,
    aud: env.JWT_AUDIENCE || undefined,
    sub: options.user ?? "user-1",
    org_id: options.org ?? "org-a",
    user_id: options.user ?? "user-1",
    iat: nowSeconds(),
    exp: nowSeconds() + (options.expiresInSeconds ?? 3600),
    ...options.claims,
  };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
  return claims;
}

/** An RS256 (default) or ES256 token signed with a key the JWKS server publishes. */
export async function signToken(options: TokenOptions = {}): Promise<string> {
  const keyName = options.key ?? "rs256";
  const key = testKeys()[keyName];
  const alg = keyName === "es256" ? "ES256" : "RS256";
  const header = JSON.stringify({ alg, typ: "JWT", kid: options.kid ?? key.kid, ...options.header });
  const payload = JSON.stringify(payloadFor(options));
  const params =
    alg === "RS256" ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } : { name: "ECDSA", namedCurve: "P-256" };
  const privateKey = await crypto.subtle.importKey("jwk", key.privateJwk, params, false, ["sign"]);
  const signAlg = alg === "RS256" ? { name: "RSASSA-PKCS1-v1_5" } : { name: "ECDSA", hash: "SHA-256" };
  const signature = new Uint8Array(
    await crypto.subtle.sign(signAlg, privateKey, createJWTSignatureMessage(header, payload)),
  );
  return encodeJWT(header, payload, signature);
}

/**
 * An RS256 token of exactly these header and payload segments (as sent, not re-encoded), signed with the
 * published key: for spellings signToken would never produce.
 */
export async function signSegments(headerSegment: string, payloadSegment: string): Promise<string> {
  const params = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const privateKey = await crypto.subtle.importKey("jwk", testKeys().rs256.privateJwk, params, false, ["sign"]);
  const signingInput = new TextEncoder().encode(`${headerSegment}.${payloadSegment}`);
  const signature = new Uint8Array(await crypto.subtle.sign({ name: "RSASSA-PKCS1-v1_5" }, privateKey, signingInput));
  return `${headerSegment}.${payloadSegment}.${encodeBase64urlNoPadding(signature)}`;
}

/** An HS256 token signed with `secret` (the dev secret by default). */
export async function signHs256Token(options: TokenOptions = {}, secret: string | Uint8Array = env.JWT_DEV_SECRET) {
  const header = JSON.stringify({ alg: "HS256", typ: "JWT", ...options.header });
  const payload = JSON.stringify(payloadFor(options));
  const raw = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, createJWTSignatureMessage(header, payload)));
  return encodeJWT(header, payload, signature);
}

/** An unsigned token (`alg: none`), which must always be refused. */
export function unsignedToken(options: TokenOptions = {}) {
  return encodeJWT(JSON.stringify({ alg: "none", typ: "JWT" }), JSON.stringify(payloadFor(options)), new Uint8Array());
}
