/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): a secret is `whsec_` + base64 of 32 random
 * bytes; a signature is `v1,` + base64 of HMAC-SHA256(secret bytes, "{webhook-id}.{webhook-timestamp}.{body}"),
 * computed with WebCrypto. Several signatures (a rotation's new and old secret) are space-separated.
 */
import { decodeBase64, encodeBase64 } from "@oslojs/encoding";

export const SECRET_PREFIX = "whsec_";
const SECRET_BYTES = 32;
const encoder = new TextEncoder();

export function generateSecret(): string {
  return SECRET_PREFIX + encodeBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

// HMAC keys imported once per secret within an isolate (a bounded cache: secrets are few per isolate).
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    const raw = decodeBase64(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret);
    key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    if (keys.size >= 500) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

/** `v1,<base64 signature>` of one message with one secret. */
export async function signOne(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(`${id}.${timestamp}.${body}`));
  return `v1,${encodeBase64(new Uint8Array(mac))}`;
}

/** The `webhook-signature` header value: one signature per secret, space-separated. */
export async function signatureHeader(secrets: string[], id: string, timestamp: number, body: string) {
  const signatures = await Promise.all(secrets.map((secret) => signOne(secret, id, timestamp, body)));
  return signatures.join(" ");
}
