/**
 * Stricter rules than `isValidFqdn` for custom sending domains: the name must be one that public DNS can
 * serve and that an organization can register. Pure functions, no I/O.
 */

import { canonicalDomain, DNS_LABEL, isTopLevelDomain } from "./validation";

export { canonicalDomain };

/**
 * Special-use and private-use names (RFC 2606, RFC 6761, RFC 6762, RFC 7686, RFC 8375, ICANN's
 * `.internal`) plus the common intranet suffixes that no public zone delegates. A domain equal to one of
 * these or ending in one is refused.
 */
const RESERVED_SUFFIXES = [
  "localhost",
  "local",
  "localdomain",
  "internal",
  "intranet",
  "private",
  "corp",
  "home",
  "lan",
  "test",
  "invalid",
  "example",
  "onion",
  "alt",
  "arpa",
] as const;

export type DomainNameResult = { ok: true; domain: string } | { ok: false; reason: string };

/**
 * Normalizes and validates a domain someone wants to send from. The reason of a refusal is a sentence
 * that names the rule, ready for a 400 message.
 */
export function parseCustomDomain(input: string): DomainNameResult {
  const raw = input.trim();
  if (!raw) return { ok: false, reason: "must not be empty; send a domain such as mail.yourcompany.com" };
  if (/^\[.*\]$/.test(raw) || (raw.includes(":") && /^[0-9a-f:.]+$/i.test(raw))) {
    return { ok: false, reason: `'${raw}' is an IP address; send a domain name such as mail.yourcompany.com` };
  }
  const domain = canonicalDomain(raw);
  if (!domain) {
    return {
      ok: false,
      reason: `'${raw}' contains characters that a domain name cannot have; send only the name, e.g. mail.yourcompany.com`,
    };
  }
  const labels = domain.split(".");
  if (labels.every((label) => /^(0x[0-9a-f]+|\d+)$/.test(label))) {
    return { ok: false, reason: `'${raw}' is an IP address; send a domain name such as mail.yourcompany.com` };
  }
  if (domain.length > 253) return { ok: false, reason: `is ${domain.length} characters long; at most 253 are allowed` };
  if (labels.length < 2) {
    return { ok: false, reason: `'${domain}' has a single label; use a registered domain such as yourcompany.com` };
  }
  for (const label of labels) {
    if (label.length === 0) return { ok: false, reason: `'${domain}' has an empty label (two dots in a row)` };
    if (label.length > 63) {
      return {
        ok: false,
        reason: `label '${label.slice(0, 20)}...' is ${label.length} characters; at most 63 are allowed`,
      };
    }
    if (!DNS_LABEL.test(label)) {
      return {
        ok: false,
        reason: `label '${label}' may contain only letters, digits and hyphens, and may not start or end with a hyphen`,
      };
    }
  }
  const tld = labels[labels.length - 1] ?? "";
  if (!isTopLevelDomain(tld)) {
    return { ok: false, reason: `'.${tld}' is not a top-level domain` };
  }
  const reserved = RESERVED_SUFFIXES.find((suffix) => domain === suffix || domain.endsWith(`.${suffix}`));
  if (reserved) {
    return {
      ok: false,
      reason: `'${domain}' uses the reserved '.${reserved}' suffix, which public DNS does not serve; use a registered domain`,
    };
  }
  return { ok: true, domain };
}

/** The labels `name` and `domain` share at the end: is `name` the domain itself or below it? */
export function isSameOrSubdomain(name: string, domain: string): boolean {
  return name === domain || name.endsWith(`.${domain}`);
}
