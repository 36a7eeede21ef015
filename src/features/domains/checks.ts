/**
 * Judging the DNS answers for the records of a custom domain: one verdict per record (ownership token, MX,
 * SPF, DKIM CNAME, DMARC) with a one-line hint on what to change. Pure: no lookups, no storage.
 */
import { canonicalName, type DnsRecord, type LookupResult } from "@/clients/dns";
import type { StoredRecordCheck } from "@/db/schema";
import { type ExpectedRecord, OWNERSHIP_PREFIX, publishHint } from "./records";

/** Case-insensitive, surrounding space and trailing dots ignored. */
const same = (a: string, b: string) => canonicalName(a) === canonicalName(b);
const txtValues = (result: LookupResult) =>
  result.status === "found" ? result.records.flatMap((r) => (r.type === "TXT" ? [r.value] : [])) : [];
const isSpf = (txt: string) => /^v=spf1(\s|$)/i.test(txt.trim());
const isDmarc = (txt: string) => /^v=dmarc1\s*(;|$)/i.test(txt.trim());
const describeRecord = (record: DnsRecord) =>
  record.type === "MX" ? `${record.preference} ${record.exchange}` : record.value;
const MAX_FOUND = 10;
/** What a check reports as found: at most MAX_FOUND records, each cut to 512 characters. */
export const foundOf = (result: LookupResult) =>
  result.status === "found" ? result.records.slice(0, MAX_FOUND).map((r) => describeRecord(r).slice(0, 512)) : [];

/** A record's check without the record itself (the part judged from the answer). */
export type Verdict = Omit<StoredRecordCheck, "key" | "expected">;

function lookupFailed(record: ExpectedRecord, reason: string): Verdict {
  return {
    status: "error",
    found: [],
    reason,
    hint: `Could not look up ${record.type} ${record.name} (${reason}); check again later.`,
  };
}

function checkOwnership(record: ExpectedRecord, result: LookupResult): Verdict {
  const values = txtValues(result);
  const found = foundOf(result);
  if (values.some((v) => same(v, record.value))) return { status: "verified", found, hint: "Ownership is proven." };
  const otherToken = values.find((v) => v.trim().toLowerCase().startsWith(OWNERSHIP_PREFIX));
  if (otherToken) {
    return {
      status: "mismatch",
      found,
      hint: `The TXT record at ${record.name} carries another token (${otherToken.trim()}); replace it with ${record.value}.`,
    };
  }
  return { status: "missing", found, hint: publishHint(record) };
}

/** Terms of an SPF record after `v=spf1`. */
const spfTerms = (spf: string) => spf.trim().split(/\s+/).slice(1);

/** One SPF record made of all terms of `records`, with the platform include and one final `all`. */
export function mergedSpf(records: string[], include: string): string {
  const terms: string[] = [];
  let all: string | undefined;
  for (const record of records) {
    for (const term of spfTerms(record)) {
      if (/^[-~?+]?all$/i.test(term)) all ??= term;
      else if (!terms.some((t) => t.toLowerCase() === term.toLowerCase())) terms.push(term);
    }
  }
  if (!terms.some((t) => isPlatformInclude(t, include))) terms.push(`include:${include}`);
  return ["v=spf1", ...terms, all ?? "~all"].join(" ");
}

function isPlatformInclude(term: string, include: string): boolean {
  const match = /^\+?(include:|redirect=)(.+)$/i.exec(term);
  return match?.[2] !== undefined && same(match[2], include);
}

function checkSpf(record: ExpectedRecord, result: LookupResult, include: string): Verdict {
  const spf = txtValues(result).filter(isSpf);
  const found = spf.slice(0, MAX_FOUND);
  if (spf.length === 0) return { status: "missing", found: foundOf(result), hint: publishHint(record) };
  if (spf.length > 1) {
    return {
      status: "mismatch",
      found,
      hint:
        `${record.name} has ${spf.length} SPF (v=spf1) records, so SPF fails for every sender; ` +
        `replace them with one: ${mergedSpf(spf, include)}`,
    };
  }
  const terms = spfTerms(spf[0] ?? "");
  if (terms.some((term) => isPlatformInclude(term, include))) {
    return { status: "verified", found, hint: "SPF authorizes the platform." };
  }
  const qualified = terms.find((term) => /^[-~?]/.test(term) && isPlatformInclude(term.slice(1), include));
  if (qualified) {
    return {
      status: "mismatch",
      found,
      hint: `${qualified} does not authorize the platform; write it as include:${include} (no '${qualified[0]}' in front).`,
    };
  }
  return {
    status: "mismatch",
    found,
    hint: `Add include:${include} to the existing SPF record: ${mergedSpf(spf, include)}`,
  };
}

function checkMx(record: ExpectedRecord, result: LookupResult): Verdict {
  const mx = result.status === "found" ? result.records.filter((r) => r.type === "MX") : [];
  const found = foundOf(result);
  if (mx.length === 0) return { status: "missing", found, hint: publishHint(record) };
  const ours = mx.filter((r) => same(r.exchange, record.value));
  if (ours.length === 0) {
    return {
      status: "mismatch",
      found,
      hint: `Mail for ${record.name} goes to ${mx.map((r) => r.exchange).join(", ")}; add MX ${record.priority} ${record.value} and remove the others.`,
    };
  }
  const best = Math.min(...mx.map((r) => r.preference));
  const ourBest = Math.min(...ours.map((r) => r.preference));
  if (ourBest > best) {
    const preferred = mx.filter((r) => r.preference === best).map((r) => r.exchange);
    return {
      status: "mismatch",
      found,
      hint: `${preferred.join(", ")} has priority ${best}, lower than ${record.value} (${ourBest}), so mail goes there first; give ${record.value} the lowest number or remove the others.`,
    };
  }
  return { status: "verified", found, hint: "Inbound mail reaches the platform." };
}

function checkCname(record: ExpectedRecord, result: LookupResult): Verdict {
  const targets = result.status === "found" ? result.records.flatMap((r) => (r.type === "CNAME" ? [r.value] : [])) : [];
  const found = targets.slice(0, MAX_FOUND);
  if (targets.length === 0) return { status: "missing", found, hint: publishHint(record) };
  if (targets.some((t) => same(t, record.value))) return { status: "verified", found, hint: "DKIM signing is set up." };
  return {
    status: "mismatch",
    found,
    hint: `${record.name} points to ${targets.join(", ")}; point it to ${record.value} instead.`,
  };
}

function checkDmarc(record: ExpectedRecord, result: LookupResult): Verdict {
  const dmarc = txtValues(result).filter(isDmarc);
  if (dmarc.length === 0) return { status: "missing", found: foundOf(result), hint: publishHint(record) };
  if (dmarc.length > 1) {
    return {
      status: "mismatch",
      found: dmarc.slice(0, MAX_FOUND),
      hint: `${record.name} has ${dmarc.length} DMARC records, so receivers ignore all of them; keep exactly one.`,
    };
  }
  return { status: "verified", found: dmarc, hint: "A DMARC policy is published." };
}

/** The verdict on one record from the answer to its lookup. */
export function judgeRecord(record: ExpectedRecord, result: LookupResult, spfInclude: string): Verdict {
  if (result.status === "error") return lookupFailed(record, result.reason);
  switch (record.purpose) {
    case "ownership":
      return checkOwnership(record, result);
    case "spf":
      return checkSpf(record, result, spfInclude);
    case "mx":
      return checkMx(record, result);
    case "dkim":
      return checkCname(record, result);
    case "dmarc":
      return checkDmarc(record, result);
  }
}
