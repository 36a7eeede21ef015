import type { DnsResolver, LookupResult } from "@/clients/dns";
import type { DomainStatus, StoredRecordCheck } from "@/db/schema";
import { foundOf, judgeRecord, type Verdict } from "./checks";
import type { DomainConfig } from "./config";
import { ResolverUnreachableError } from "./errors";
import type { ExpectedRecord } from "./records";

/** The outcome of one record's check, with the record it is about. */
export interface RecordCheck extends StoredRecordCheck {
  record: ExpectedRecord;
}

type Lookup = (name: string, type: ExpectedRecord["type"]) => Promise<LookupResult>;

/** Lookups through `resolver` where records sharing a name and type share one query. */
function sharedLookups(resolver: DnsResolver): Lookup {
  const lookups = new Map<string, Promise<LookupResult>>();
  return (name, type) => {
    const key = `${type} ${name}`;
    let pending = lookups.get(key);
    if (!pending) {
      pending = resolver.lookup(name, type);
      lookups.set(key, pending);
    }
    return pending;
  };
}

/**
 * Where a DNS host that appends its zone to whatever is typed would have put `name`: `name.<zone>` for the
 * domain itself and for its registrable parent (the zone may be either).
 */
export function doubledZoneNames(name: string, domain: string): string[] {
  const labels = domain.split(".");
  const zones = new Set([domain, labels.slice(-2).join(".")]);
  return [...zones].map((zone) => `${name}.${zone}`);
}

/** A mismatch naming the doubled-zone name when a missing record is found there; undefined otherwise. */
async function doubledZoneVerdict(
  record: ExpectedRecord,
  domain: string,
  lookup: Lookup,
): Promise<Verdict | undefined> {
  const candidates = doubledZoneNames(record.name, domain);
  const answers = await Promise.all(candidates.map((name) => lookup(name, record.type)));
  const at = answers.findIndex((answer) => answer.status === "found");
  const doubled = candidates[at];
  if (at < 0 || doubled === undefined) return undefined;
  const zone = doubled.slice(record.name.length + 1);
  const relative = record.name.slice(0, -(zone.length + 1));
  return {
    status: "mismatch",
    found: foundOf(answers[at] as LookupResult),
    hint:
      `The record is at ${doubled}: your DNS host added the zone name a second time. ` +
      `Enter only '${relative}' as the name (or ${record.name}. with a final dot).`,
  };
}

/**
 * Looks every record up concurrently (one resolver round trip: records sharing a name and type share a
 * query) and judges each. Records still missing below the domain get one more concurrent round for the
 * doubled-zone mistake. Throws ResolverUnreachableError only when no query reached the resolver.
 */
export async function checkDomainRecords(
  domain: string,
  records: ExpectedRecord[],
  resolver: DnsResolver,
  config: DomainConfig,
): Promise<RecordCheck[]> {
  const lookup = sharedLookups(resolver);
  const results = await Promise.all(records.map((record) => lookup(record.name, record.type)));
  const unreachable = results.filter((r) => r.status === "error" && r.unreachable);
  if (unreachable.length === results.length && unreachable[0]?.status === "error") {
    throw new ResolverUnreachableError(unreachable[0].reason);
  }
  const verdicts = records.map((record, i) => judgeRecord(record, results[i] as LookupResult, config.spfInclude));
  await Promise.all(
    records.map(async (record, i) => {
      if (verdicts[i]?.status !== "missing" || record.name === domain) return;
      const doubled = await doubledZoneVerdict(record, domain, lookup);
      if (doubled) verdicts[i] = doubled;
    }),
  );
  return records.map((record, i) => ({
    key: record.key,
    expected: record.value,
    ...(verdicts[i] as Verdict),
    record,
  }));
}

/** Required records decide; advisory ones (DMARC) never block. See the README for the rules. */
export function overallStatus(checks: Pick<RecordCheck, "status" | "record">[], previous: DomainStatus): DomainStatus {
  const required = checks.filter((c) => c.record.required);
  const verified = required.filter((c) => c.status === "verified").length;
  if (verified === required.length) return "verified";
  const unsettled = required.filter((c) => c.status !== "verified");
  // A resolver hiccup is not evidence that a verified domain lost a record.
  if (previous === "verified" && unsettled.every((c) => c.status === "error")) return "verified";
  if (verified > 0) return "partially_verified";
  if (required.some((c) => c.status === "mismatch")) return "failed";
  return "pending";
}
