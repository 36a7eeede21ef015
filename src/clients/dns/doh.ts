import { canonicalName, type DnsRecordType, encodeQuery, type LookupResult, MAX_CNAME_HOPS, parseAnswer } from "./wire";

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

class QueryTimeout extends Error {}

/**
 * DNS-over-HTTPS (RFC 8484) with the wire format: POST `application/dns-message` to the configured URL.
 * Each lookup is one HTTP request; concurrent lookups are independent requests, so a caller that starts
 * them together waits about one resolver round trip. A CNAME chain that an answer leaves unfinished is
 * followed with further queries (at most MAX_CNAME_HOPS names in all).
 */
export function createDohResolver(options: DohResolverOptions): DnsResolver {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));

  async function queryOnce(name: string, type: DnsRecordType, budgetMs: number) {
    if (budgetMs <= 0) {
      return { status: "error" as const, reason: `the resolver did not answer within ${options.timeoutMs} ms` };
    }
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new QueryTimeout());
      }, budgetMs);
    });
    try {
      return await Promise.race([exchange(name, type, controller.signal), timeout]);
    } catch (err) {
      if (err instanceof QueryTimeout) {
        return { status: "error" as const, reason: `the resolver did not answer within ${options.timeoutMs} ms` };
      }
      const message = err instanceof Error ? err.message : String(err);
      return { status: "error" as const, reason: `the resolver could not be reached (${message})`, unreachable: true };
    } finally {
      clearTimeout(timer);
    }
  }

  async function exchange(name: string, type: DnsRecordType, signal: AbortSignal) {
    const response = await doFetch(options.url, {
      method: "POST",
      headers: { "content-type": DNS_MESSAGE, accept: DNS_MESSAGE },
      body: encodeQuery(name, type),
      signal,
    });
    if (!response.ok) {
      await response.body?.cancel();
      return { status: "error" as const, reason: `the resolver answered HTTP ${response.status}` };
    }
    const contentType = response.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
    if (contentType !== DNS_MESSAGE) {
      await response.body?.cancel();
      return {
        status: "error" as const,
        reason: `the resolver answered ${contentType || "no content type"} instead of ${DNS_MESSAGE}`,
      };
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > MAX_MESSAGE_BYTES) {
      return {
        status: "error" as const,
        reason: `the resolver answered ${bytes.length} bytes, more than a DNS message`,
      };
    }
    return parseAnswer(bytes, name, type);
  }

  return {
    async lookup(name, type) {
      const cnames: string[] = [];
      let current = canonicalName(name);
      const deadline = Date.now() + options.timeoutMs;
      for (;;) {
        const answer = await queryOnce(current, type, deadline - Date.now());
        if (answer.status === "error") return answer;
        cnames.push(...answer.cnames);
        if (!("danglingCname" in answer)) return { ...answer, cnames };
        if (cnames.length > MAX_CNAME_HOPS) {
          return { status: "error", reason: `CNAME chain longer than ${MAX_CNAME_HOPS} hops` };
        }
        if (cnames.slice(0, -1).includes(answer.danglingCname) || answer.danglingCname === canonicalName(name)) {
          return { status: "error", reason: `CNAME loop at ${answer.danglingCname}` };
        }
        current = answer.danglingCname;
      }
    },
  };
}
