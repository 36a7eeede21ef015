import { decodeBase64IgnorePadding, decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { ApiError } from "@/lib/errors";

/**
 * Authenticated encryption of secrets at rest (OAuth tokens, PKCE verifiers) with AES-256-GCM.
 *
 * Keys come from `TOKEN_ENCRYPTION_KEYS`: a comma-separated list of `<key id>:<base64 of 32 bytes>`,
 * e.g. `k2:AbC...=,k1:XyZ...=`. The first key seals; every listed key opens, so a key is rotated by
 * putting a new one first and dropping the old one once nothing sealed with it is left.
 *
 * A sealed value is `v1.<key id>.<iv>.<ciphertext+tag>` (base64url): it names the key that opens it.
 * The caller's `context` (e.g. `outlook:<org>:<tenant>:refresh_token`) is bound as additional
 * authenticated data, so a sealed value copied to another row or purpose does not open.
 */

export const ENCRYPTION_KEYS_VAR = "TOKEN_ENCRYPTION_KEYS";
const VERSION = "v1";
const IV_BYTES = 12;
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const encoder = new TextEncoder();

export class SealingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SealingError";
  }
}

interface Keyring {
  sealingKeyId: string;
  keys: Map<string, CryptoKey>;
}

// Imported keys are reused within an isolate, per distinct config value.
const keyrings = new Map<string, Promise<Keyring>>();

/** The keyring for a `TOKEN_ENCRYPTION_KEYS` value; a missing or malformed value is a 503 naming the var. */
function keyringFor(config: string | undefined): Promise<Keyring> {
  const value = config?.trim();
  if (!value) {
    return Promise.reject(
      new ApiError(503, `Token encryption is not configured: set the ${ENCRYPTION_KEYS_VAR} secret`),
    );
  }
  let keyring = keyrings.get(value);
  if (!keyring) {
    keyring = importKeyring(value);
    keyrings.set(value, keyring);
    // A failed import is not cached, so a corrected deployment is not stuck with it.
    keyring.catch(() => keyrings.delete(value));
  }
  return keyring;
}

async function importKeyring(value: string): Promise<Keyring> {
  const keys = new Map<string, CryptoKey>();
  let sealingKeyId: string | undefined;
  for (const [index, entry] of value.split(",").entries()) {
    const item = entry.trim();
    if (!item) continue;
    const separator = item.indexOf(":");
    const id = separator > 0 ? item.slice(0, separator) : "";
    if (!KEY_ID.test(id)) throw misconfigured(`entry ${index + 1} needs the form <key id>:<base64 key>`);
    if (keys.has(id)) throw misconfigured(`key id '${id}' is listed twice`);
    const raw = decodeKey(item.slice(separator + 1).trim());
    if (raw?.length !== 32) throw misconfigured(`key '${id}' must be 32 bytes (256 bits), base64-encoded`);
    keys.set(id, await crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]));
    sealingKeyId ??= id;
  }
  if (!sealingKeyId) throw misconfigured("no key is listed");
  return { sealingKeyId, keys };
}

function decodeKey(text: string): Uint8Array | undefined {
  try {
    return /[-_]/.test(text) ? decodeBase64urlIgnorePadding(text) : decodeBase64IgnorePadding(text);
  } catch {
    return undefined;
  }
}

function misconfigured(detail: string) {
  // Never echoes key material: only ids and positions.
  return new ApiError(503, `Token encryption is misconfigured: ${ENCRYPTION_KEYS_VAR} ${detail}`);
}

/** Seals `plaintext` with the first configured key, bound to `context`. */
export async function seal(config: string | undefined, plaintext: string, context: string): Promise<string> {
  const { sealingKeyId, keys } = await keyringFor(config);
  const key = keys.get(sealingKeyId) as CryptoKey;
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(context) },
    key,
    encoder.encode(plaintext),
  );
  return [
    VERSION,
    sealingKeyId,
    encodeBase64urlNoPadding(iv),
    encodeBase64urlNoPadding(new Uint8Array(ciphertext)),
  ].join(".");
}

/** Opens a value sealed by `seal` with the same `context`, using the key it names. */
export async function open(config: string | undefined, sealed: string, context: string): Promise<string> {
  const { keys } = await keyringFor(config);
  const parts = sealed.split(".");
  if (parts.length !== 4 || parts[0] !== VERSION) throw new SealingError("Sealed value has an unknown format");
  const [, keyId, ivText, ciphertextText] = parts as [string, string, string, string];
  const key = keys.get(keyId);
  if (!key) throw new SealingError(`Sealed value needs key '${keyId}', which ${ENCRYPTION_KEYS_VAR} does not list`);
  let iv: Uint8Array;
  let ciphertext: Uint8Array;
  try {
    iv = decodeBase64urlIgnorePadding(ivText);
    ciphertext = decodeBase64urlIgnorePadding(ciphertextText);
  } catch {
    throw new SealingError("Sealed value is not valid base64url");
  }
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv, additionalData: encoder.encode(context) },
      key,
      ciphertext,
    );
    return new TextDecoder().decode(plaintext);
  } catch {
    throw new SealingError("Sealed value does not open (wrong key or context, or tampered)");
  }
}
