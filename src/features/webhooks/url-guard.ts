/**
 * SSRF guard for webhook endpoint URLs, checked when an endpoint is created or updated and again before
 * every send. The URL is read as fetch() reads it (WHATWG URL: `0x7f.1` is 127.0.0.1, `[::ffff:7f00:1]`
 * an IPv4-mapped loopback). Accepted: https on a public host name or a public IP literal. Refused: other
 * schemes, credentials, over-long URLs, `localhost`, single-label and special-use names, and IP literals
 * of private, loopback, link-local (incl. the 169.254.169.254 metadata service), CGNAT, documentation,
 * multicast and reserved ranges, v4 and v6 (IPv4-mapped and NAT64 forms judged by their IPv4 address).
 * `allowInsecure` (WEBHOOK_ALLOW_INSECURE_URLS, development only) also accepts http and loopback.
 */
import { badRequest } from "@/lib/errors";
import { WEBHOOK_URL_MAX_LENGTH } from "@/shared/webhook-events";

type Verdict = { kind: "public" } | { kind: "loopback" } | { kind: "refused"; why: string };

/** Non-public IPv4 blocks: [first octets as a 32-bit number, prefix length, what it is]. */
const V4_BLOCKS: [number, number, string][] = [
  [0x00000000, 8, "a 'this network' (0.0.0.0/8) address"],
  [0x0a000000, 8, "a private (10.0.0.0/8) address"],
  [0x64400000, 10, "a carrier-grade NAT (100.64.0.0/10) address"],
  [0xa9fe0000, 16, "a link-local (169.254.0.0/16, cloud metadata) address"],
  [0xac100000, 12, "a private (172.16.0.0/12) address"],
  [0xc0000000, 24, "an IETF protocol (192.0.0.0/24) address"],
  [0xc0000200, 24, "a documentation (192.0.2.0/24) address"],
  [0xc0586300, 24, "a 6to4 relay (192.88.99.0/24) address"],
  [0xc0a80000, 16, "a private (192.168.0.0/16) address"],
  [0xc6120000, 15, "a benchmarking (198.18.0.0/15) address"],
  [0xc6336400, 24, "a documentation (198.51.100.0/24) address"],
  [0xcb007100, 24, "a documentation (203.0.113.0/24) address"],
  [0xe0000000, 4, "a multicast (224.0.0.0/4) address"],
  [0xf0000000, 4, "a reserved (240.0.0.0/4) address"],
];

const SPECIAL_USE_SUFFIXES = ["local", "localdomain", "internal", "intranet", "lan", "home", "corp", "arpa"];
const SPECIAL_USE_SUFFIXES_RFC = ["test", "invalid", "example", "onion", "alt"];

function judgeV4(value: number): Verdict {
  if (value >>> 24 === 127) return { kind: "loopback" };
  for (const [base, prefix, what] of V4_BLOCKS) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    if ((value & mask) >>> 0 === base) return { kind: "refused", why: what };
  }
  return { kind: "public" };
}

function parseV4(host: string): number | undefined {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** The eight 16-bit groups of a serialized IPv6 address (as WHATWG URL writes it: hex, `::` compressed). */
function parseV6(text: string): number[] | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string | undefined) => (part ? part.split(":").map((g) => Number.parseInt(g, 16)) : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const all = [...head, ...new Array(Math.max(fill, 0)).fill(0), ...tail];
  return all.length === 8 && all.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? all : undefined;
}

function judgeV6(g: number[]): Verdict {
  const [a = 0, b = 0] = g;
  const v4 = ((g[6] ?? 0) * 65536 + (g[7] ?? 0)) >>> 0;
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(7) && g[7] === 1) return { kind: "loopback" };
  if (zeroUpTo(5) && g[5] === 0xffff) return judgeV4(v4); // IPv4-mapped ::ffff:a.b.c.d
  if (a === 0x64 && b === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return judgeV4(v4); // NAT64
  if (zeroUpTo(6)) return { kind: "refused", why: "an unspecified or IPv4-compatible IPv6 address" };
  if ((a & 0xfe00) === 0xfc00) return { kind: "refused", why: "a unique-local (fc00::/7) IPv6 address" };
  if ((a & 0xffc0) === 0xfe80 || (a & 0xffc0) === 0xfec0) {
    return { kind: "refused", why: "a link-local or site-local IPv6 address" };
  }
  if ((a & 0xff00) === 0xff00) return { kind: "refused", why: "a multicast IPv6 address" };
  if ((a & 0xe000) !== 0x2000) return { kind: "refused", why: "a reserved IPv6 address" };
  if (a === 0x2001 && (b === 0x0db8 || b < 0x0200)) {
    return { kind: "refused", why: "a documentation or IETF protocol (2001::/23) IPv6 address" };
  }
  if (a === 0x2002) return { kind: "refused", why: "a 6to4 (2002::/16) IPv6 address" };
  return { kind: "public" };
}

function judgeName(host: string): Verdict {
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  if (name === "localhost" || name.endsWith(".localhost")) return { kind: "loopback" };
  const labels = name.split(".");
  const tld = labels[labels.length - 1] ?? "";
  if (labels.length < 2 || !tld) return { kind: "refused", why: "not a public host name (it has no domain)" };
  if (/^\d+$/.test(tld)) return { kind: "refused", why: "not a valid host name" };
  if (SPECIAL_USE_SUFFIXES.includes(tld) || SPECIAL_USE_SUFFIXES_RFC.includes(tld)) {
    return { kind: "refused", why: `a special-use or internal name (.${tld})` };
  }
  return { kind: "public" };
}

function judgeHost(hostname: string): Verdict {
  if (hostname.startsWith("[")) {
    const groups = parseV6(hostname.slice(1, -1));
    return groups ? judgeV6(groups) : { kind: "refused", why: "not a valid IPv6 address" };
  }
  const v4 = parseV4(hostname);
  return v4 === undefined ? judgeName(hostname) : judgeV4(v4);
}

/** Why `input` may not be a webhook endpoint, or undefined when it may (then `url` is its normalized form). */
export function webhookUrlProblem(input: string, allowInsecure: boolean): string | undefined {
  if (input.length > WEBHOOK_URL_MAX_LENGTH) {
    return `url is too long (${input.length} characters): at most ${WEBHOOK_URL_MAX_LENGTH}`;
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return "url is not a valid absolute URL: send e.g. https://hooks.example.com/epilot";
  }
  const insecureHint = allowInsecure
    ? ""
    : " (http is accepted only when WEBHOOK_ALLOW_INSECURE_URLS=true, in development)";
  if (url.protocol !== "https:" && !(allowInsecure && url.protocol === "http:")) {
    return `url must use https, not ${url.protocol.replace(":", "")}${url.protocol === "http:" ? insecureHint : ""}`;
  }
  if (url.username || url.password) return "url must not contain credentials (user:password@): sign requests instead";
  if (url.href.length > WEBHOOK_URL_MAX_LENGTH) return `url is too long: at most ${WEBHOOK_URL_MAX_LENGTH} characters`;
  const verdict = judgeHost(url.hostname);
  if (verdict.kind === "public" || (verdict.kind === "loopback" && allowInsecure)) return undefined;
  const why = verdict.kind === "loopback" ? "a loopback address (localhost)" : verdict.why;
  return `url host '${url.hostname.slice(0, 255)}' is ${why}: webhook endpoints must be on a public host name`;
}

/** The normalized URL, or 400 naming the rule it breaks. */
export function checkWebhookUrl(input: string, allowInsecure: boolean): string {
  const problem = webhookUrlProblem(input, allowInsecure);
  if (problem) throw badRequest(`Invalid webhook URL: ${problem}`);
  return new URL(input).href;
}
