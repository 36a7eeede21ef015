/**
 * Input rules shared by the routes, the legacy settings and (later) domains and mailboxes.
 * Pure functions, no I/O, so they are cheap to unit-test.
 */

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
/** One DNS label of a host name (lowercase): letters, digits and inner hyphens, at most 63 characters. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
/** Characters a host name may never carry, before or after IDN processing (URL syntax, spaces, ...). */
const FORBIDDEN_IN_HOST = /[\s/\\?#@:[\]%*'"<>^`{|}!$&()+,;=~]/u;

/** Longest address accepted, both as sent and in its canonical form (RFC 5321's path limit less `<>`). */
export const EMAIL_ADDRESS_MAX_CHARS = 254;
const LOCAL_PART_MAX_CHARS = 64;

/**
 * The one spelling of an address that is stored, compared (unique indexes, lookups, the platform-domain
 * rule) and answered: trimmed, lowercased (addresses are case-insensitive here, local part included, as at
 * nearly every mail provider), the domain in canonical form (see canonicalDomain), so `Sales@Example.COM.`
 * and `sales@example.com` are one address. Undefined when the input is not a valid address. Input longer
 * than EMAIL_ADDRESS_MAX_CHARS is refused before any parsing, so hostile input costs little.
 */
export function canonicalEmailAddress(input: string): string | undefined {
  const value = input.trim();
  if (value.length > EMAIL_ADDRESS_MAX_CHARS) return undefined;
  const at = value.lastIndexOf("@");
  if (at <= 0 || at !== value.indexOf("@")) return undefined;
  const local = value.slice(0, at).toLowerCase();
  if (local.length > LOCAL_PART_MAX_CHARS || !LOCAL_PART.test(local)) return undefined;
  const domain = canonicalDomain(value.slice(at + 1));
  if (!domain || !isValidHostName(domain)) return undefined;
  const address = `${local}@${domain}`;
  return address.length <= EMAIL_ADDRESS_MAX_CHARS ? address : undefined;
}

export function isValidEmailAddress(input: string): boolean {
  return canonicalEmailAddress(input) !== undefined;
}

/**
 * A host name in the one form DNS uses: trimmed, lowercased, one trailing dot (the DNS root) removed, IDN
 * labels as punycode. Non-ASCII goes through the WHATWG URL host parser, whose UTS #46 processing maps
 * fullwidth letters, ideographic full stops and ignorable characters (soft hyphens) as resolvers do, so
 * every spelling of a name that reaches the same host gets the same canonical form. Undefined when the URL
 * parser refuses the name or it carries characters no host name has. Not a validity check.
 */
export function canonicalDomain(input: string): string | undefined {
  const value = input.trim().toLowerCase();
  if (!value || FORBIDDEN_IN_HOST.test(value)) return undefined;
  // Plain ASCII needs no conversion; anything else goes through the URL parser's UTS #46 processing.
  const ascii = /^[a-z0-9._-]+$/.test(value) ? value : urlHostname(value);
  // The trailing dot goes after the mapping, so a fullwidth or ideographic one is removed too.
  return ascii?.replace(/\.$/, "") || undefined;
}

function urlHostname(host: string): string | undefined {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return undefined;
  }
}

/** A fully qualified host name with at least two labels and an alphabetic (or punycode) TLD. */
export function isValidFqdn(input: string): boolean {
  return isValidHostName(normalizeDomain(input));
}

/** isValidFqdn for a name already in canonical form (lowercase, no trailing dot). */
function isValidHostName(value: string): boolean {
  if (!value || value.length > 253 || IPV4.test(value)) return false;
  const labels = value.split(".");
  if (labels.length < 2) return false;
  if (!labels.every((label) => label.length <= 63 && DNS_LABEL.test(label))) return false;
  const tld = labels[labels.length - 1] ?? "";
  return isTopLevelDomain(tld);
}

/** An alphabetic top-level domain, or an IDN one in punycode. */
export function isTopLevelDomain(label: string): boolean {
  return /^[a-z]{2,63}$/.test(label) || /^xn--[a-z0-9-]{1,59}$/.test(label);
}

export function normalizeDomain(input: string): string {
  return input.trim().toLowerCase().replace(/\.$/, "");
}

/** The canonical domain of an address ("" when it is not a valid address). */
export function emailDomain(address: string): string {
  return canonicalEmailAddress(address)?.split("@")[1] ?? "";
}

export const HEX_COLOR = /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
export const CUSTOM_INBOX_ID = /^[A-Za-z0-9_-]{1,64}$/;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Longest duration text looked at (surrounding spaces included). The longest real window,
 * `-9007199254740991ms`, has 19 characters; anything longer is refused before any pattern runs.
 */
export const DURATION_MAX_LENGTH = 64;
/** Applied to trimmed text: one run of digits, an optional fraction, optional spaces and unit. Linear. */
const DURATION = /^(-?\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?$/i;

/**
 * Parses the duplicate-detection window: `10s`, `5m`, `1d` (also `ms`, `h`, `w`) or a plain number
 * of milliseconds. A negative value is read as positive; 0 disables duplicate detection.
 * Returns the window in milliseconds, or undefined when the input is not a duration (or is longer
 * than DURATION_MAX_LENGTH).
 */
export function parseDuplicateWindow(input: string | number): number | undefined {
  if (typeof input === "number") {
    // Same bound as the string form: a window that is not a safe integer of ms is not a duration.
    const ms = Number.isFinite(input) ? Math.abs(Math.trunc(input)) : Number.NaN;
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  if (input.length > DURATION_MAX_LENGTH) return undefined;
  const match = DURATION.exec(input.trim());
  if (!match?.[1]) return undefined;
  const amount = Math.abs(Number(match[1]));
  const unit = (match[2] ?? "ms").toLowerCase();
  const ms = Math.round(amount * (UNIT_MS[unit] ?? 1));
  return Number.isSafeInteger(ms) ? ms : undefined;
}
