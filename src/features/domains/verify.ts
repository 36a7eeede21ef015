import type { DnsResolver } from "@/clients/dns";
import { type Database, isUniqueViolation, nowIso } from "@/db/client";
import { eventStatements } from "@/db/outbox";
import type { DomainStatus, DomainVerificationRow } from "@/db/schema";
import { checkNameServers } from "./check-name-servers";
import { checkDomainRecords, overallStatus, type RecordCheck } from "./check-records";
import type { DomainConfig } from "./config";
import { recheckOtherHolderAt, updateState } from "./domain-verifications.store";
import { verifiedElsewhere } from "./errors";
import { expectedRecords } from "./records";
import { type DomainEntry, domainOf, nextCheckAt } from "./state";

/**
 * Stores the outcome of a records check and schedules the next one. Throws 409 when the domain would
 * become verified while another organization holds it verified (the partial unique index decides, so
 * racing verifications cannot both win). Only a caller whose own ownership token and DKIM records are
 * published gets that far, i.e. one that controls the domain's DNS: it learns that the name is held
 * elsewhere, never by whom. The holder's next scheduled check is moved to now, so a holder that no longer
 * controls the DNS loses the verification at the next re-check run.
 */
async function saveRecordChecks(
  db: Database,
  entry: DomainEntry,
  checks: RecordCheck[],
  now: Date,
): Promise<DomainVerificationRow> {
  const status = overallStatus(checks, entry.state.status);
  const iso = now.toISOString();
  const verifiedAt = status === "verified" ? (entry.state.status === "verified" ? entry.state.verifiedAt : iso) : null;
  const values = {
    status,
    records: checks.map(({ record, ...stored }) => stored),
    verifiedAt,
    lastCheckedAt: iso,
    nextCheckAt: nextCheckAt(status, entry.state.createdAt, now),
    updatedAt: iso,
  };
  try {
    return await updateState(db, entry, values, statusEvents(db, entry, values, checks));
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const domain = domainOf(entry);
    await recheckOtherHolderAt(db, domain, entry.setting.orgId, iso);
    throw verifiedElsewhere(domain);
  }
}

/** Webhook events of a status change: `domain.verified`, or `domain.degraded` when a verified domain lost a record. */
function statusEvents(
  db: Database,
  entry: DomainEntry,
  next: { status: DomainStatus; verifiedAt: string | null },
  checks: RecordCheck[],
) {
  const orgId = entry.setting.orgId;
  const domain = domainOf(entry);
  const previous = entry.state.status;
  if (next.status === "verified" && previous !== "verified") {
    const data = { domain, status: "verified" as const, verified_at: next.verifiedAt ?? "" };
    return eventStatements(db, { orgId, type: "domain.verified", data });
  }
  if (previous === "verified" && next.status !== "verified") {
    const failing = checks.filter((c) => c.record.required && c.status !== "verified").map((c) => c.key);
    const data = { domain, status: next.status, previous_status: "verified" as const, failing_records: failing };
    return eventStatements(db, { orgId, type: "domain.degraded", data });
  }
  return [];
}

/** Checks every record of the domain and stores the outcome (the verifyDomain operation and the re-check). */
export async function verifyDomainRecords(
  db: Database,
  entry: DomainEntry,
  config: DomainConfig,
  resolver: DnsResolver,
): Promise<DomainVerificationRow> {
  const domain = domainOf(entry);
  const records = expectedRecords(domain, entry.state, config);
  const checks = await checkDomainRecords(domain, records, resolver, config);
  return saveRecordChecks(db, entry, checks, new Date());
}

/** Checks the domain's delegation and stores it as its name server check. */
export async function verifyDomainNameServers(
  db: Database,
  entry: DomainEntry,
  config: DomainConfig,
  resolver: DnsResolver,
): Promise<DomainVerificationRow> {
  const now = nowIso();
  const check = await checkNameServers(domainOf(entry), resolver, config, now);
  return updateState(db, entry, { nameServerCheck: check, updatedAt: now });
}
