import { and, eq, getTableColumns, gt, ne, notExists, type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { canonicalName, createDohResolver, type DnsRecord, type DnsResolver, type LookupResult } from "@/clients/dns";
import { type Database, isUniqueViolation, nowIso } from "@/db/client";
import {
  type DomainStatus,
  type DomainVerificationRow,
  domainVerifications,
  emailAddresses,
  type SettingRow,
  type StoredNameServerCheck,
  type StoredRecordCheck,
  settings,
} from "@/db/schema";
import { configNumber } from "@/lib/config";
import { ApiError, badRequest, conflict, notFound } from "@/lib/errors";
import type { AppEnv } from "@/lib/types";
import type { DomainDnsRecord, DomainSetting } from "@/schemas/domains";
import { DOMAIN_STATE_KEYS, listSettings, toSettingResponse } from "@/services/settings/settings";
import { canonicalDomain, isSameOrSubdomain, parseCustomDomain } from "@/shared/domain-names";

// ---------------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------------

const DOMAIN_DEFAULTS = {
  DOH_URL: "https://cloudflare-dns.com/dns-query",
  DOH_TIMEOUT_MS: 4000,
  PLATFORM_NAME_SERVERS: "ns1.epilot.cloud,ns2.epilot.cloud",
  INBOUND_MX_HOST: "inbound.epilot.cloud",
  SPF_INCLUDE: "spf.epilot.cloud",
  DKIM_TARGET_DOMAIN: "dkim.epilot.cloud",
  DOMAIN_RECHECK_BATCH_SIZE: 25,
  DOMAINS_PER_ORG_MAX: 50,
} as const;

export interface DomainConfig {
  dohUrl: string;
  dohTimeoutMs: number;
  nameServers: string[];
  inboundMxHost: string;
  spfInclude: string;
  dkimTargetDomain: string;
  platformDomain: string;
  recheckBatchSize: number;
  /** Most custom domains one organization may hold (DOMAINS_PER_ORG_MAX). */
  maxDomainsPerOrg: number;
}

/** Config vars are strings; an empty one means "use the default". */
function configVar(env: Partial<AppEnv>, key: string): string | undefined {
  const value = (env as Record<string, unknown>)[key];
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

/** Reads the domain vars with their defaults. A DOH_URL that is not an http(s) URL is a 503. */
export function domainConfig(env: Partial<AppEnv>): DomainConfig {
  const dohUrl = configVar(env, "DOH_URL") ?? DOMAIN_DEFAULTS.DOH_URL;
  let parsed: URL | undefined;
  try {
    parsed = new URL(dohUrl);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    throw new ApiError(503, "DNS lookups are not configured: DOH_URL must be an http(s) URL of a DoH resolver");
  }
  const list = (value: string) => [...new Set(value.split(",").map(canonicalName).filter(Boolean))];
  return {
    dohUrl,
    dohTimeoutMs: configNumber(configVar(env, "DOH_TIMEOUT_MS"), DOMAIN_DEFAULTS.DOH_TIMEOUT_MS, {
      positive: true,
      integer: true,
      max: 30_000,
    }),
    nameServers: list(configVar(env, "PLATFORM_NAME_SERVERS") ?? DOMAIN_DEFAULTS.PLATFORM_NAME_SERVERS),
    inboundMxHost: canonicalName(configVar(env, "INBOUND_MX_HOST") ?? DOMAIN_DEFAULTS.INBOUND_MX_HOST),
    spfInclude: canonicalName(configVar(env, "SPF_INCLUDE") ?? DOMAIN_DEFAULTS.SPF_INCLUDE),
    dkimTargetDomain: canonicalName(configVar(env, "DKIM_TARGET_DOMAIN") ?? DOMAIN_DEFAULTS.DKIM_TARGET_DOMAIN),
    platformDomain: canonicalName(configVar(env, "EPILOT_EMAIL_DOMAIN") ?? "epilot.cloud"),
    recheckBatchSize: configNumber(
      configVar(env, "DOMAIN_RECHECK_BATCH_SIZE"),
      DOMAIN_DEFAULTS.DOMAIN_RECHECK_BATCH_SIZE,
      {
        positive: true,
        integer: true,
        max: 1000,
      },
    ),
    maxDomainsPerOrg: configNumber(configVar(env, "DOMAINS_PER_ORG_MAX"), DOMAIN_DEFAULTS.DOMAINS_PER_ORG_MAX, {
      positive: true,
      integer: true,
      max: 10_000,
    }),
  };
}

export function resolverFor(config: DomainConfig): DnsResolver {
  return createDohResolver({ url: config.dohUrl, timeoutMs: config.dohTimeoutMs });
}

// ---------------------------------------------------------------------------------------------------
// The records to publish
// ---------------------------------------------------------------------------------------------------

const OWNERSHIP_PREFIX = "epilot-verification=";
/** Two selectors, so a new key can be published under one while the other still signs. */
const DKIM_SELECTORS = ["epilot1", "epilot2"] as const;
const MX_PRIORITY = 10;
const DMARC_RECOMMENDED = "v=DMARC1; p=none";

type RecordPurpose = "ownership" | "mx" | "spf" | "dkim" | "dmarc";

export interface ExpectedRecord {
  key: string;
  purpose: RecordPurpose;
  type: "TXT" | "MX" | "CNAME";
  name: string;
  value: string;
  priority?: number;
  required: boolean;
}

export function expectedRecords(
  domain: string,
  state: Pick<DomainVerificationRow, "token" | "dkimKeyId">,
  config: DomainConfig,
): ExpectedRecord[] {
  return [
    {
      key: "ownership",
      purpose: "ownership",
      type: "TXT",
      name: domain,
      value: `${OWNERSHIP_PREFIX}${state.token}`,
      required: true,
    },
    {
      key: "mx",
      purpose: "mx",
      type: "MX",
      name: domain,
      value: config.inboundMxHost,
      priority: MX_PRIORITY,
      required: true,
    },
    {
      key: "spf",
      purpose: "spf",
      type: "TXT",
      name: domain,
      value: `v=spf1 include:${config.spfInclude} ~all`,
      required: true,
    },
    ...DKIM_SELECTORS.map((selector) => ({
      key: `dkim:${selector}`,
      purpose: "dkim" as const,
      type: "CNAME" as const,
      name: `${selector}._domainkey.${domain}`,
      value: `${selector}.${state.dkimKeyId}.${config.dkimTargetDomain}`,
      required: true,
    })),
    {
      key: "dmarc",
      purpose: "dmarc",
      type: "TXT",
      name: `_dmarc.${domain}`,
      value: DMARC_RECOMMENDED,
      required: false,
    },
  ];
}

// ---------------------------------------------------------------------------------------------------
// Checking records (pure apart from the resolver)
// ---------------------------------------------------------------------------------------------------

export interface RecordCheck extends StoredRecordCheck {
  record: ExpectedRecord;
}

/** Thrown when no lookup reached the resolver at all: the operation answers 502. */
export class ResolverUnreachableError extends ApiError {
  constructor(reason: string) {
    super(502, `The DNS resolver could not be reached, so nothing was checked: ${reason}. Please retry later.`);
  }
}

/** Case-insensitive, surrounding space and trailing dots ignored. */
const same = (a: string, b: string) => canonicalName(a) === canonicalName(b);
const txtValues = (result: LookupResult) =>
  result.status === "found" ? result.records.flatMap((r) => (r.type === "TXT" ? [r.value] : [])) : [];
const isSpf = (txt: string) => /^v=spf1(\s|$)/i.test(txt.trim());
const isDmarc = (txt: string) => /^v=dmarc1\s*(;|$)/i.test(txt.trim());
const describeRecord = (record: DnsRecord) =>
  record.type === "MX" ? `${record.preference} ${record.exchange}` : record.value;
const MAX_FOUND = 10;
const foundOf = (result: LookupResult) =>
  result.status === "found" ? result.records.slice(0, MAX_FOUND).map((r) => describeRecord(r).slice(0, 512)) : [];

type Verdict = Omit<StoredRecordCheck, "key" | "expected">;

function lookupFailed(record: ExpectedRecord, reason: string): Verdict {
  return {
    status: "error",
    found: [],
    reason,
    hint: `Could not look up ${record.type} ${record.name} (${reason}); check again later.`,
  };
}

function publishHint(record: ExpectedRecord): string {
  const priority = record.priority === undefined ? "" : ` with priority ${record.priority}`;
  const advisory = record.required ? "" : " (recommended, does not block verification)";
  return `Publish a ${record.type} record at ${record.name} with the value ${record.value}${priority}${advisory}.`;
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

function evaluate(record: ExpectedRecord, result: LookupResult, config: DomainConfig): Verdict {
  if (result.status === "error") return lookupFailed(record, result.reason);
  switch (record.purpose) {
    case "ownership":
      return checkOwnership(record, result);
    case "spf":
      return checkSpf(record, result, config.spfInclude);
    case "mx":
      return checkMx(record, result);
    case "dkim":
      return checkCname(record, result);
    case "dmarc":
      return checkDmarc(record, result);
  }
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
  const lookups = new Map<string, Promise<LookupResult>>();
  const lookup = (name: string, type: ExpectedRecord["type"]) => {
    const key = `${type} ${name}`;
    let pending = lookups.get(key);
    if (!pending) {
      pending = resolver.lookup(name, type);
      lookups.set(key, pending);
    }
    return pending;
  };
  const results = await Promise.all(records.map((record) => lookup(record.name, record.type)));
  const unreachable = results.filter((r) => r.status === "error" && r.unreachable);
  if (unreachable.length === results.length && unreachable[0]?.status === "error") {
    throw new ResolverUnreachableError(unreachable[0].reason);
  }
  const verdicts = records.map((record, i) => evaluate(record, results[i] as LookupResult, config));

  await Promise.all(
    records.map(async (record, i) => {
      const verdict = verdicts[i];
      if (verdict?.status !== "missing" || record.name === domain) return;
      const candidates = doubledZoneNames(record.name, domain);
      const answers = await Promise.all(candidates.map((name) => lookup(name, record.type)));
      const at = answers.findIndex((answer) => answer.status === "found");
      const doubled = candidates[at];
      if (at < 0 || doubled === undefined) return;
      const zone = doubled.slice(record.name.length + 1);
      const relative = record.name.slice(0, -(zone.length + 1));
      verdicts[i] = {
        status: "mismatch",
        found: foundOf(answers[at] as LookupResult),
        hint:
          `The record is at ${doubled}: your DNS host added the zone name a second time. ` +
          `Enter only '${relative}' as the name (or ${record.name}. with a final dot).`,
      };
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

export async function checkNameServers(
  domain: string,
  resolver: DnsResolver,
  config: DomainConfig,
  now: string,
): Promise<StoredNameServerCheck> {
  const expected = [...config.nameServers].sort();
  const result = await resolver.lookup(domain, "NS");
  if (result.status === "error" && result.unreachable) throw new ResolverUnreachableError(result.reason);
  if (result.status === "error") {
    return {
      status: "error",
      expected,
      found: [],
      results: expected.map((ns) => ({ name_server: ns, expected: true, found: false, status: "fail" as const })),
      reason: result.reason,
      hint: `Could not look up the NS records of ${domain} (${result.reason}); check again later.`,
      checked_at: now,
    };
  }
  const found = [
    ...new Set(result.status === "found" ? result.records.flatMap((r) => (r.type === "NS" ? [r.value] : [])) : []),
  ].sort();
  const names = [...new Set([...expected, ...found])].sort();
  const results = names.map((ns) => {
    const isExpected = expected.includes(ns);
    const isFound = found.includes(ns);
    return {
      name_server: ns,
      expected: isExpected,
      found: isFound,
      status: isExpected && isFound ? "pass" : "fail",
    } as const;
  });
  const pass = results.every((r) => r.status === "pass");
  const missing = results.filter((r) => r.expected && !r.found).map((r) => r.name_server);
  const extra = results.filter((r) => !r.expected && r.found).map((r) => r.name_server);
  let hint = `${domain} is delegated to the platform name servers.`;
  if (!pass && found.length === 0) {
    hint = `No NS records found for ${domain}; at your registrar, delegate it to ${expected.join(", ")}.`;
  } else if (!pass) {
    hint =
      `At your registrar, set the name servers of ${domain} to exactly ${expected.join(", ")}` +
      `${missing.length ? ` (missing: ${missing.join(", ")})` : ""}${extra.length ? ` (remove: ${extra.join(", ")})` : ""}.`;
  }
  return { status: pass ? "pass" : "fail", expected, found, results, hint, checked_at: now };
}

// ---------------------------------------------------------------------------------------------------
// Persistence
// ---------------------------------------------------------------------------------------------------

const HOUR_MS = 3_600_000;
/** Unverified domains are re-checked hourly while they are young, then daily; verified ones daily. */
const HOURLY_RECHECK_WINDOW_MS = 72 * HOUR_MS;

export function nextCheckAt(status: DomainStatus, createdAt: string, now: Date): string {
  const age = now.getTime() - Date.parse(createdAt);
  const hourly = status !== "verified" && age < HOURLY_RECHECK_WINDOW_MS;
  return new Date(now.getTime() + (hourly ? HOUR_MS : 24 * HOUR_MS)).toISOString();
}

function randomHex(bytes: number): string {
  const data = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
}

function freshState(setting: SettingRow, now: Date) {
  const iso = now.toISOString();
  return {
    settingId: setting.id,
    orgId: setting.orgId,
    domain: setting.value ?? "",
    status: "pending" as const,
    token: randomHex(20),
    dkimKeyId: randomHex(6),
    records: [],
    nameServerCheck: null,
    verifiedAt: null,
    lastCheckedAt: null,
    nextCheckAt: new Date(now.getTime() + HOUR_MS).toISOString(),
    createdAt: iso,
    updatedAt: iso,
  };
}

export interface DomainEntry {
  setting: SettingRow;
  state: DomainVerificationRow;
}

/**
 * The verification state of `setting`, created on first use for domains added through the legacy
 * settings API, and reset when a legacy update changed the setting's domain. `existing` is the state the
 * caller already read: `null` when it knows there is none, `undefined` when it did not look.
 */
export async function ensureState(
  db: Database,
  setting: SettingRow,
  existing?: DomainVerificationRow | null,
): Promise<DomainVerificationRow> {
  const now = new Date();
  let state =
    existing === undefined
      ? await db
          .select()
          .from(domainVerifications)
          .where(and(eq(domainVerifications.settingId, setting.id), eq(domainVerifications.orgId, setting.orgId)))
          .get()
      : existing;
  if (!state) {
    // A concurrent request may have created it first: then read that one.
    state =
      (await db.insert(domainVerifications).values(freshState(setting, now)).onConflictDoNothing().returning().get()) ??
      (await db.select().from(domainVerifications).where(eq(domainVerifications.settingId, setting.id)).get());
  } else if (state.domain !== setting.value) {
    const { token, dkimKeyId, settingId, orgId, ...reset } = freshState(setting, now);
    state = await db
      .update(domainVerifications)
      .set(reset)
      .where(eq(domainVerifications.settingId, setting.id))
      .returning()
      .get();
  }
  if (!state) throw new Error(`domain state of setting ${setting.id} vanished`);
  return state;
}

function domainNotFound(domain: string) {
  return notFound(`Domain '${domain}' not found in this organization`);
}

/** The `domain` field of a request body, which the contract's schema leaves optional. */
function requireDomainField(input: string | undefined): string {
  if (input === undefined) throw badRequest('domain: is required, e.g. {"domain": "mail.yourcompany.com"}');
  return input;
}

/** `{domain}` of verify/delete: normalized like addDomain, but any stored domain can be named (legacy rows). */
export function lookupDomainName(input: string | undefined): string {
  const domain = canonicalDomain(requireDomainField(input));
  if (!domain) throw badRequest("domain: must be a domain name such as mail.yourcompany.com");
  return domain;
}

/** The org's `email_domain` setting for `domain` with its stored state (null for a legacy row), in one query. */
async function selectDomain(db: Database, orgId: string, domain: string) {
  const row = await db
    .select({ setting: settings, state: domainVerifications })
    .from(settings)
    .leftJoin(
      domainVerifications,
      and(eq(domainVerifications.settingId, settings.id), eq(domainVerifications.orgId, settings.orgId)),
    )
    .where(and(eq(settings.orgId, orgId), eq(settings.type, "email_domain"), eq(settings.uniqueKey, domain)))
    .get();
  if (!row) throw domainNotFound(domain);
  return row;
}

export async function findDomain(db: Database, orgId: string, domain: string): Promise<DomainEntry> {
  const { setting, state } = await selectDomain(db, orgId, domain);
  return { setting, state: await ensureState(db, setting, state) };
}

export async function listDomains(db: Database, orgId: string): Promise<DomainEntry[]> {
  const rows = await listSettings(db, orgId, "email_domain");
  const states = await db.select().from(domainVerifications).where(eq(domainVerifications.orgId, orgId)).all();
  const byId = new Map(states.map((s) => [s.settingId, s]));
  return Promise.all(
    rows.map(async (setting) => ({ setting, state: await ensureState(db, setting, byId.get(setting.id) ?? null) })),
  );
}

/**
 * An INSERT of `row` into `table` that only happens when `condition` holds, decided inside the statement
 * itself (`INSERT ... SELECT <values> WHERE <condition>`), so no concurrent request can slip in between a
 * check and the write. Values go through each column's driver mapping, as `.values()` would.
 */
function insertWhere<T extends SQLiteTable>(db: Database, table: T, row: T["$inferInsert"], condition: SQL) {
  // Every column, in the order drizzle lists them in `INSERT INTO t (...)` (these tables have no generated
  // columns, which drizzle would leave out).
  const values = Object.entries(getTableColumns(table)).map(([key, column]) =>
    sql.param((row as Record<string, unknown>)[key] ?? null, column),
  );
  return db.insert(table).select(sql`SELECT ${sql.join(values, sql`, `)} WHERE ${condition}`);
}

const domainCount = (orgId: string) =>
  sql`(SELECT count(*) FROM ${settings} WHERE ${settings.orgId} = ${orgId} AND ${settings.type} = 'email_domain')`;

function tooManyDomains(max: number) {
  return conflict(
    `This organization already has ${max} domains, the most it can hold; delete a domain it no longer uses before adding another`,
  );
}

/**
 * Adds a custom domain, also for the legacy `email_domain` setting. Whether another organization has the
 * name (added or verified) is never revealed here: the one-verified-holder rule is applied by
 * verifyDomain, once the caller has proven control of the domain's DNS with its own token. The per-org
 * cap is part of the INSERT itself, so concurrent adds cannot exceed it.
 */
export async function addDomain(
  db: Database,
  orgId: string,
  userId: string | null,
  input: string | undefined,
  config: DomainConfig,
  /** Name and additional properties, when the domain comes in as a legacy `email_domain` setting. */
  extras: { name?: string | null; extra?: Record<string, unknown> } = {},
): Promise<DomainEntry> {
  const parsed = parseCustomDomain(requireDomainField(input));
  if (!parsed.ok) throw badRequest(`domain: ${parsed.reason}`);
  const domain = parsed.domain;
  if (isSameOrSubdomain(domain, config.platformDomain)) {
    throw badRequest(`domain: ${domain} belongs to the platform's own ${config.platformDomain}; add a domain you own`);
  }
  const alreadyConfigured = () => conflict(`Domain '${domain}' is already configured for this organization`);

  const now = new Date();
  const iso = now.toISOString();
  const setting: SettingRow = {
    id: crypto.randomUUID(),
    orgId,
    type: "email_domain",
    name: extras.name ?? null,
    value: domain,
    html: null,
    uniqueKey: domain,
    extra: extras.extra ?? {},
    createdAt: iso,
    updatedAt: iso,
    createdBy: userId,
    updatedBy: userId,
  };
  const state = freshState(setting, now);
  const settingAdded = sql`EXISTS (SELECT 1 FROM ${settings} WHERE ${settings.id} = ${setting.id})`;
  try {
    const [[insertedSetting], [insertedState]] = await db.batch([
      insertWhere(db, settings, setting, sql`${domainCount(orgId)} < ${config.maxDomainsPerOrg}`).returning(),
      insertWhere(db, domainVerifications, state, settingAdded).returning(),
    ]);
    if (insertedSetting && insertedState) return { setting: insertedSetting, state: insertedState };
    if (insertedSetting || insertedState) throw new Error("domain insert wrote only one of its two rows");
  } catch (err) {
    if (isUniqueViolation(err)) throw alreadyConfigured();
    throw err;
  }
  // Nothing was written: the org is at its cap (or, at the cap, already has this very domain).
  const existing = await db
    .select({ id: settings.id })
    .from(settings)
    .where(and(eq(settings.orgId, orgId), eq(settings.type, "email_domain"), eq(settings.uniqueKey, domain)))
    .get();
  throw existing ? alreadyConfigured() : tooManyDomains(config.maxDomainsPerOrg);
}

/** The domain the entry stands for (the setting's value; the state's for a row without one). */
const domainOf = (entry: DomainEntry) => entry.setting.value ?? entry.state.domain;

/** Updates the entry's verification state and returns the stored row; 404 when the domain is gone. */
async function updateState(db: Database, entry: DomainEntry, values: Partial<DomainVerificationRow>) {
  const row = await db
    .update(domainVerifications)
    .set(values)
    .where(and(eq(domainVerifications.settingId, entry.setting.id), eq(domainVerifications.orgId, entry.setting.orgId)))
    .returning()
    .get();
  if (!row) throw domainNotFound(entry.setting.value ?? "");
  return row;
}

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
  try {
    return await updateState(db, entry, {
      status,
      records: checks.map(({ record, ...stored }) => stored),
      verifiedAt,
      lastCheckedAt: iso,
      nextCheckAt: nextCheckAt(status, entry.state.createdAt, now),
      updatedAt: iso,
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw await heldElsewhere(db, entry, iso);
    throw err;
  }
}

async function heldElsewhere(db: Database, entry: DomainEntry, iso: string) {
  const domain = domainOf(entry);
  await db
    .update(domainVerifications)
    .set({ nextCheckAt: iso })
    .where(
      and(
        eq(domainVerifications.domain, domain),
        eq(domainVerifications.status, "verified"),
        ne(domainVerifications.orgId, entry.setting.orgId),
        gt(domainVerifications.nextCheckAt, iso),
      ),
    )
    .run();
  return conflict(
    `Domain '${domain}' cannot be verified yet: its records are in place, but it is still verified for another ` +
      "organization on the platform. That verification is re-checked at the next scheduled run (within about an " +
      "hour) and ends if its records are gone; verify again after that.",
  );
}

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

/** The org's addresses at exactly `domain` (not its subdomains). */
const atDomain = (orgId: string, domain: string) =>
  and(
    eq(emailAddresses.orgId, orgId),
    sql`substr(${emailAddresses.address}, instr(${emailAddresses.address}, '@') + 1) = ${domain}`,
  );

function addressesAt(db: Database, orgId: string, domain: string) {
  return db
    .select({ address: emailAddresses.address })
    .from(emailAddresses)
    .where(atDomain(orgId, domain))
    .orderBy(emailAddresses.address)
    .all();
}

function inUse(domain: string, addresses: { address: string }[]) {
  const shown = addresses.slice(0, 5).map((a) => a.address);
  const more = addresses.length > shown.length ? ` and ${addresses.length - shown.length} more` : "";
  return conflict(
    `Domain '${domain}' is still used by email addresses ${shown.join(", ")}${more}; delete or move them first`,
  );
}

/** Deletes the domain setting (its verification state goes with it) unless addresses still use it. */
export async function deleteDomain(db: Database, orgId: string, domain: string): Promise<void> {
  const { setting } = await selectDomain(db, orgId, domain);
  const using = await addressesAt(db, orgId, domain);
  if (using.length > 0) throw inUse(domain, using);
  // The address check repeats inside the delete, so an address created meanwhile still blocks it.
  const noAddress = notExists(db.select({ one: sql`1` }).from(emailAddresses).where(atDomain(orgId, domain)));
  const [, deletedSettings] = await db.batch([
    db
      .delete(domainVerifications)
      .where(and(eq(domainVerifications.settingId, setting.id), eq(domainVerifications.orgId, orgId), noAddress))
      .returning({ id: domainVerifications.settingId }),
    db
      .delete(settings)
      .where(and(eq(settings.id, setting.id), eq(settings.orgId, orgId), noAddress))
      .returning({ id: settings.id }),
  ]);
  if (deletedSettings.length === 0) {
    const nowUsing = await addressesAt(db, orgId, domain);
    if (nowUsing.length > 0) throw inUse(domain, nowUsing);
    throw domainNotFound(domain);
  }
}

// ---------------------------------------------------------------------------------------------------
// Response
// ---------------------------------------------------------------------------------------------------

export function toDomainResponse(entry: DomainEntry, config: DomainConfig): DomainSetting {
  const { setting, state } = entry;
  // id, org_id, type, name, created_at, ... as the settings API shows them.
  const base: Record<string, unknown> = toSettingResponse(setting);
  // Additional properties the domain operations own: a stored extra with one of these names is not echoed.
  for (const key of DOMAIN_STATE_KEYS) delete base[key];
  const domain = domainOf(entry);
  const stored = new Map(state.records.map((r) => [r.key, r]));
  const dnsRecords: DomainDnsRecord[] = expectedRecords(domain, state, config).map((record) => {
    const check = stored.get(record.key);
    const current = check && check.expected === record.value ? check : undefined;
    return {
      purpose: record.purpose,
      type: record.type,
      name: record.name,
      value: record.value,
      ...(record.priority !== undefined && { priority: record.priority }),
      required: record.required,
      status: current?.status ?? "pending",
      ...(current && { found: current.found }),
      hint: current?.hint ?? publishHint(record),
      ...(current?.reason !== undefined && { reason: current.reason }),
    };
  });
  return {
    ...base,
    value: domain,
    status: state.status,
    name_servers: config.nameServers,
    dns_records: dnsRecords,
    ...(state.verifiedAt && { verified_at: state.verifiedAt }),
    ...(state.lastCheckedAt && { last_checked_at: state.lastCheckedAt }),
    next_check_at: state.nextCheckAt,
    ...(state.nameServerCheck && { name_server_check: state.nameServerCheck }),
  } as DomainSetting;
}
