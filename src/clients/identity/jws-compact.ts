/**
 * The checks of a JWS compact serialization that the JWT library leaves out.
 *
 * One spelling per token: the library accepts optional `=` padding (`AQ`, `AQ=` and `AQ==` are the same
 * byte), so a token could be re-spelled into variants that verify alike, each a separate entry of the
 * verified token cache. Only canonical base64url counts: the URL-safe alphabet, no padding, and zero bits
 * where the last character carries fewer than six, so that every byte string has exactly one encoding
 * (checked here rather than left to how lenient a decoder happens to be).
 *
 * `crit` (RFC 7515 §4.1.11): the token says it must not be accepted by a recipient that does not
 * understand the listed extensions. This API understands none (e.g. `b64: false`, RFC 7797, would change
 * what the signature covers), so any `crit` is refused.
 */

/** Empty is the one spelling of no bytes (an unsigned token's signature, refused later by its alg). */
const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** Alphabet characters whose low 4 (one byte in the last group) or 2 (two bytes) bits are zero. */
const CANONICAL_LAST_CHAR: Record<number, RegExp> = { 2: /[AQgw]$/, 3: /[AEIMQUYcgkosw048]$/ };

export function isCanonicalBase64url(segment: string): boolean {
  if (!BASE64URL.test(segment)) return false;
  const remainder = segment.length % 4;
  if (remainder === 1) return false;
  return remainder === 0 || (CANONICAL_LAST_CHAR[remainder]?.test(segment) ?? false);
}

/** Whether `token` is three canonical base64url segments (header.payload.signature). */
export function isCanonicalCompactJws(token: string): boolean {
  const segments = token.split(".");
  return segments.length === 3 && segments.every(isCanonicalBase64url);
}

/** Header Parameter names RFC 7515 and RFC 7518 define, which `crit` must never list. */
const REGISTERED_HEADERS = new Set([
  ...["alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit"],
  ...["enc", "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c"],
]);

/** Why the header's `crit` makes the token unacceptable (malformed, or an extension), or undefined without one. */
export function criticalHeaderProblem(header: object): string | undefined {
  if (!Object.hasOwn(header, "crit")) return undefined;
  const crit: unknown = (header as { crit: unknown }).crit;
  const wellFormed =
    Array.isArray(crit) &&
    crit.length > 0 &&
    crit.every((name) => typeof name === "string" && name !== "" && !REGISTERED_HEADERS.has(name));
  return wellFormed
    ? "Token header crit lists an extension this API does not understand"
    : "Token header has a malformed crit: expected a non-empty list of extension names";
}
