import type { Answer, Packet } from "@dnsquery/dns-packet";
import * as dnsPacket from "@dnsquery/dns-packet";

/**
 * RFC 1035 wire format through `@dnsquery/dns-packet` (a Uint8Array fork of `dns-packet`, so it runs in
 * Workers without `nodejs_compat`). This file only builds queries and turns one answer packet into a
 * `WireAnswer`; it never throws on bad input: every defect of a packet becomes an `error` result.
 */

const DNS_RECORD_TYPES = ["TXT", "MX", "CNAME", "NS"] as const;
export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number];

export type DnsRecord =
  | { type: "TXT"; value: string }
  | { type: "MX"; preference: number; exchange: string }
  | { type: "CNAME" | "NS"; value: string };

/** Records of the asked type were found, after following any CNAME chain (`cnames`, in order). */
export interface FoundResult {
  status: "found";
  records: DnsRecord[];
  cnames: string[];
}

/** NXDOMAIN, or NOERROR with no record of the asked type (NODATA). */
export interface EmptyResult {
  status: "empty";
  rcode: "NXDOMAIN" | "NOERROR";
  cnames: string[];
}

/** The resolver could not give an answer: timeout, SERVFAIL, HTTP error, malformed or truncated packet. */
export interface ErrorResult {
  status: "error";
  reason: string;
  /** True only when the resolver could not be reached at all (connection failed). */
  unreachable?: boolean;
}

export type LookupResult = FoundResult | EmptyResult | ErrorResult;

/** One packet's answer. `danglingCname` is set when a CNAME chain ends without the asked records. */
export type WireAnswer = LookupResult | (EmptyResult & { danglingCname: string });

/** Requests a UDP payload size the resolver's upstream hop can use, so TXT answers are not truncated. */
const EDNS_UDP_PAYLOAD_SIZE = 4096;
/** Longest CNAME chain followed inside one answer (resolvers stop well before this). */
export const MAX_CNAME_HOPS = 16;

/**
 * Lowercase, no trailing dots: the form every name is compared in. Names and TXT values come from DNS
 * answers anyone can publish (up to 64 KiB), so the dots are stripped by one backward scan: a regex such
 * as `/\.+$/` retries every run of dots from each of its positions, which is quadratic.
 */
export function canonicalName(name: string): string {
  const value = name.trim().toLowerCase();
  let end = value.length;
  while (end > 0 && value.charCodeAt(end - 1) === 0x2e) end--;
  return value.slice(0, end);
}

/**
 * A recursive query for one name and type with id 0 (RFC 8484 §4.1: id 0 keeps DoH answers cacheable)
 * and an EDNS(0) OPT record.
 */
export function encodeQuery(name: string, type: DnsRecordType, id = 0): Uint8Array {
  return dnsPacket.encode({
    type: "query",
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name: canonicalName(name), class: "IN" }],
    // The library's OPT encoder reads `udpPayloadSize` and `options`, which its types do not declare.
    additionals: [{ type: "OPT", name: ".", data: [], udpPayloadSize: EDNS_UDP_PAYLOAD_SIZE, options: [] } as Answer],
  });
}

const error = (reason: string): ErrorResult => ({ status: "error", reason });
const textDecoder = new TextDecoder("utf-8");

/** Decodes a packet, or returns why it is not a usable one. */
function decodePacket(bytes: Uint8Array): Packet | ErrorResult {
  if (bytes.length < 12) return error(`malformed DNS answer: ${bytes.length} bytes is shorter than a DNS header`);
  let packet: Packet;
  try {
    packet = dnsPacket.decode(bytes);
  } catch (err) {
    return error(`malformed DNS answer: ${err instanceof Error ? err.message : String(err)}`);
  }
  // The decoder reads past the end of a cut-off packet instead of throwing; the bytes it claims to have
  // consumed then exceed (or, for fixed fields, poison as NaN) the packet's length.
  const consumed = (dnsPacket.decode as unknown as { bytes?: number }).bytes;
  if (typeof consumed !== "number" || !Number.isFinite(consumed) || consumed > bytes.length) {
    return error("malformed DNS answer: the packet is cut off (records run past its end)");
  }
  return packet;
}

function recordOf(answer: Answer): DnsRecord | undefined {
  switch (answer.type) {
    case "TXT": {
      // A TXT record is one or more character-strings of up to 255 bytes; the value is their concatenation.
      const parts = Array.isArray(answer.data) ? answer.data : [answer.data];
      const value = parts.map((part) => (typeof part === "string" ? part : textDecoder.decode(part))).join("");
      return { type: "TXT", value };
    }
    case "MX":
      if (typeof answer.data?.exchange !== "string" || !Number.isInteger(answer.data.preference)) return undefined;
      return { type: "MX", preference: answer.data.preference ?? 0, exchange: canonicalName(answer.data.exchange) };
    case "CNAME":
    case "NS":
      if (typeof answer.data !== "string") return undefined;
      return { type: answer.type, value: canonicalName(answer.data) };
    default:
      return undefined;
  }
}

/**
 * Interprets one DNS answer to the question `name`/`type` (sent with `expectedId`). Follows CNAME records
 * in the answer section from the asked name; when the chain ends without the asked records the result
 * names the last target (`danglingCname`) so the caller can ask for it. Never throws.
 */
export function parseAnswer(bytes: Uint8Array, name: string, type: DnsRecordType, expectedId = 0): WireAnswer {
  const packet = decodePacket(bytes);
  if ("status" in packet) return packet;
  if (packet.type !== "response") return error("malformed DNS answer: the packet is a query, not a response");
  if (packet.id !== expectedId) return error(`malformed DNS answer: id ${packet.id} does not match the query`);
  if (packet.flag_tc) return error("truncated DNS answer (TC bit set): the resolver could not send the whole answer");
  const qname = canonicalName(name);
  const question = packet.questions?.[0];
  if (question && (canonicalName(question.name) !== qname || question.type !== type)) {
    return error(`malformed DNS answer: it answers ${question.type} ${question.name}, not ${type} ${qname}`);
  }
  const rcode = packet.rcode ?? "NOERROR";
  if (rcode !== "NOERROR" && rcode !== "NXDOMAIN") return error(`the resolver answered ${rcode}`);

  const answers = (packet.answers ?? []).filter((a) => a.class === undefined || a.class === "IN");
  const cnames: string[] = [];
  let current = qname;
  if (type !== "CNAME") {
    for (;;) {
      const hop = answers.find((a) => a.type === "CNAME" && canonicalName(a.name) === current);
      if (!hop || typeof hop.data !== "string") break;
      const target = canonicalName(hop.data);
      if (target === qname || cnames.includes(target)) return error(`CNAME loop at ${current}`);
      if (cnames.length >= MAX_CNAME_HOPS) return error(`CNAME chain longer than ${MAX_CNAME_HOPS} hops`);
      cnames.push(target);
      current = target;
    }
  }
  const records: DnsRecord[] = [];
  for (const answer of answers) {
    if (answer.type !== type || canonicalName(answer.name) !== current) continue;
    const record = recordOf(answer);
    if (!record) return error(`malformed DNS answer: unreadable ${answer.type} record for ${current}`);
    records.push(record);
  }
  if (records.length > 0) return { status: "found", records, cnames };
  if (rcode === "NOERROR" && cnames.length > 0) {
    return { status: "empty", rcode, cnames, danglingCname: current };
  }
  return { status: "empty", rcode, cnames };
}
