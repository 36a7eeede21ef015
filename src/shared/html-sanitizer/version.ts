import type { SanitizePolicy } from "./core";

/**
 * Versions of sanitized markup that is stored (signatures, mail bodies): a stored copy of another version
 * is sanitized again. A version names the policy, a manual revision and a fingerprint of what of the policy
 * is data (kept elements and their attributes, dropped elements, limits), so changing an allow-list or a
 * limit makes every stored copy stale by itself.
 */

/**
 * Bump when the core (core.ts, text-fallback.ts) changes what it writes: every stored copy of every
 * policy is then sanitized again.
 */
const CORE_REVISION = 2;

/** FNV-1a (32 bit) of a string, as 8 hex digits. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

function policyFingerprint(policy: SanitizePolicy): string {
  const elements = Object.entries(policy.elements)
    .map(([tag, attributes]) => `${tag}:${Object.keys(attributes).sort().join(",")}`)
    .sort();
  const { dropWithContent, fixedPoint, limits } = policy;
  return fnv1a(JSON.stringify([elements, [...dropWithContent].sort(), fixedPoint, limits]));
}

/**
 * `<name>-<revision>-<fingerprint>`; `revision` is the caller's, bumped when its policy's checks change in
 * a way the fingerprint cannot see (URL or CSS rules, attribute checks).
 */
export function sanitizerVersion(name: string, policy: SanitizePolicy, revision: number): string {
  return `${name}-${revision}-${fnv1a(`${CORE_REVISION}:${policyFingerprint(policy)}`)}`;
}
