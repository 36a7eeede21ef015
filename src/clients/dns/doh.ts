import {
  canonicalName,
  type DnsRecordType,
  type ErrorResult,
  encodeQuery,
  type LookupResult,
  MAX_CNAME_HOPS,
  parseAnswer,
  type WireAnswer,
} from "./wire";

/** Looks names up; the one seam between domain logic and whichever resolver serves the answers. */
export interface DnsResolver {
  lookup(name: string, type: DnsRecordType): Promise<LookupResult>;
}

export interface DohResolverOptions {
  /** The resolver's RFC 8484 endpoint, fixed by configuration (never derived from the looked-up name). */
  url: string;
  /** Bound on one lookup (connection, body and any CNAME follow-up queries included). */
  timeoutMs: number;
  /** Injectable for tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
}

const DNS_MESSAGE = "application/dns-message";
/** A DNS message cannot exceed 65535 bytes (RFC 8484 §6 and the TCP length prefix). */
const MAX_MESSAGE_BYTES = 65_535;

const failure = (reason: string): ErrorResult => ({ status: "error", reason });

class QueryTimeout extends Error {}

/** The answer of one HTTP response, or why it is not a DNS message. */
async function readAnswer(response: Response, name: string, type: DnsRecordType): Promise<WireAnswer> {
  if (!response.ok) {
    await response.body?.cancel();
    return failure(`the resolver answered HTTP ${response.status}`);
  }
  const contentType = response.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (contentType !== DNS_MESSAGE) {
    await response.body?.cancel();
    return failure(`the resolver answered ${contentType || "no content type"} instead of ${DNS_MESSAGE}`);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > MAX_MESSAGE_BYTES) {
    return failure(`the resolver answered ${bytes.length} bytes, more than a DNS message`);
  }
  return parseAnswer(bytes, name, type);
}

/** One question as one POST of the wire format; resolves or rejects with whatever `fetch` does. */
async function exchange(
  options: DohResolverOptions,
  name: string,
  type: DnsRecordType,
  signal: AbortSignal,
): Promise<WireAnswer> {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const response = await doFetch(options.url, {
    method: "POST",
    headers: { "content-type": DNS_MESSAGE, accept: DNS_MESSAGE },
    body: encodeQuery(name, type),
    signal,
  });
  return readAnswer(response, name, type);
}

/**
 * One question within `budgetMs` (aborted when it runs out). Never throws: a timeout and a failed
 * connection (`unreachable`) become error results.
 */
async function queryOnce(options: DohResolverOptions, name: string, type: DnsRecordType, budgetMs: number) {
  const timedOut = failure(`the resolver did not answer within ${options.timeoutMs} ms`);
  if (budgetMs <= 0) return timedOut;
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new QueryTimeout());
    }, budgetMs);
  });
  try {
    return await Promise.race([exchange(options, name, type, controller.signal), timeout]);
  } catch (err) {
    if (err instanceof QueryTimeout) return timedOut;
    const message = err instanceof Error ? err.message : String(err);
    return { ...failure(`the resolver could not be reached (${message})`), unreachable: true };
  } finally {
    clearTimeout(timer);
  }
}

/** Asks for `name`, then for each CNAME target an answer leaves dangling, all within one deadline. */
async function lookupFollowingCnames(
  options: DohResolverOptions,
  name: string,
  type: DnsRecordType,
): Promise<LookupResult> {
  const cnames: string[] = [];
  let current = canonicalName(name);
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const answer = await queryOnce(options, current, type, deadline - Date.now());
    if (answer.status === "error") return answer;
    cnames.push(...answer.cnames);
    if (!("danglingCname" in answer)) return { ...answer, cnames };
    if (cnames.length > MAX_CNAME_HOPS) return failure(`CNAME chain longer than ${MAX_CNAME_HOPS} hops`);
    if (cnames.slice(0, -1).includes(answer.danglingCname) || answer.danglingCname === canonicalName(name)) {
      return failure(`CNAME loop at ${answer.danglingCname}`);
    }
    current = answer.danglingCname;
  }
}

/**
 * DNS-over-HTTPS (RFC 8484) with the wire format: POST `application/dns-message` to the configured URL.
 * Each lookup is one HTTP request; concurrent lookups are independent requests, so a caller that starts
 * them together waits about one resolver round trip. A CNAME chain that an answer leaves unfinished is
 * followed with further queries (at most MAX_CNAME_HOPS names in all).
 */
export function createDohResolver(options: DohResolverOptions): DnsResolver {
  return { lookup: (name, type) => lookupFollowingCnames(options, name, type) };
}
