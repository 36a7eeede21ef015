/**
 * The DNS lookup module: everything else uses only these exports, so the resolver (DoH endpoint,
 * transport, wire library) can change here without touching the domain logic.
 */
export { createDohResolver, type DnsResolver, type DohResolverOptions } from "./doh";
export {
  canonicalName,
  type DnsRecord,
  type DnsRecordType,
  encodeQuery,
  type LookupResult,
  parseAnswer,
} from "./wire";
