/**
 * Every D1 read and write of `domain_verifications`, the verification state of custom domains, with the
 * `email_domain` settings it belongs to (their statements on `settings` come from
 * src/db/stores/settings.store.ts, the condition on the addresses that use a domain from the email-address
 * feature's). Org-scoped throughout; the rules that decide what to write live in the service modules that
 * call these.
 */
import { and, asc, eq, gt, isNull, lte, ne, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { type Database, isUniqueViolation } from "@/db/client";
import { insertWhere } from "@/db/insert-where";
import { eventStatements } from "@/db/outbox";
import { type DomainVerificationRow, domainVerifications, type SettingRow, settings } from "@/db/schema";
import { insertSettingBelowCap, settingExists, settingsCreationOrder } from "@/db/stores/settings.store";
import { noAddressAtDomain } from "@/features/email-addresses";
import { alreadyConfigured, domainNotFound, tooManyDomains } from "./errors";
import { type DomainEntry, domainOf, freshState } from "./state";

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

const isDomainSetting = (orgId: string, domain: string) =>
  and(eq(settings.orgId, orgId), eq(settings.type, "email_domain"), eq(settings.uniqueKey, domain));

/** The org's `email_domain` setting for `domain` with its stored state (null for a legacy row), in one query. */
export async function selectDomain(db: Database, orgId: string, domain: string) {
  const row = await db
    .select({ setting: settings, state: domainVerifications })
    .from(settings)
    .leftJoin(
      domainVerifications,
      and(eq(domainVerifications.settingId, settings.id), eq(domainVerifications.orgId, settings.orgId)),
    )
    .where(isDomainSetting(orgId, domain))
    .get();
  if (!row) throw domainNotFound(domain);
  return row;
}

/** The org's domain named `domain` with its verification state (created if it had none); 404 if absent. */
export async function findDomain(db: Database, orgId: string, domain: string): Promise<DomainEntry> {
  const { setting, state } = await selectDomain(db, orgId, domain);
  return { setting, state: await ensureState(db, setting, state) };
}

/** The org's domains, oldest first (as the settings API lists them), each with its verification state. */
export async function listDomains(db: Database, orgId: string): Promise<DomainEntry[]> {
  const rows = await db
    .select({ setting: settings, state: domainVerifications })
    .from(settings)
    .leftJoin(
      domainVerifications,
      and(eq(domainVerifications.settingId, settings.id), eq(domainVerifications.orgId, settings.orgId)),
    )
    .where(and(eq(settings.orgId, orgId), eq(settings.type, "email_domain")))
    .orderBy(...settingsCreationOrder)
    .all();
  return Promise.all(
    rows.map(async ({ setting, state }) => ({ setting, state: await ensureState(db, setting, state) })),
  );
}

/**
 * Inserts a domain's setting and state in one batch, only while the org holds fewer than `maxDomains`
 * (the cap is part of the INSERT itself, so concurrent adds cannot exceed it). 409 when the org already
 * has the domain or is at its cap.
 */
export async function insertDomain(db: Database, entry: DomainEntry, maxDomains: number): Promise<DomainEntry> {
  const { setting, state } = entry;
  const domain = domainOf(entry);
  try {
    const [[insertedSetting], [insertedState]] = await db.batch([
      insertSettingBelowCap(db, setting, maxDomains).returning(),
      insertWhere(db, domainVerifications, state, settingExists(setting.id)).returning(),
    ]);
    if (insertedSetting && insertedState) return { setting: insertedSetting, state: insertedState };
    if (insertedSetting || insertedState) throw new Error("domain insert wrote only one of its two rows");
  } catch (err) {
    if (isUniqueViolation(err)) throw alreadyConfigured(domain);
    throw err;
  }
  // Nothing was written: the org is at its cap (or, at the cap, already has this very domain).
  const existing = await db
    .select({ id: settings.id })
    .from(settings)
    .where(isDomainSetting(setting.orgId, domain))
    .get();
  throw existing ? alreadyConfigured(domain) : tooManyDomains(maxDomains);
}

/**
 * Updates the entry's verification state and returns the stored row; 404 when the domain is gone. `events`
 * (webhook outbox statements) commit in the same batch, and only when the update changed the row.
 */
export async function updateState(
  db: Database,
  entry: DomainEntry,
  values: Partial<DomainVerificationRow>,
  events: readonly BatchItem<"sqlite">[] = [],
) {
  const update = db
    .update(domainVerifications)
    .set(values)
    .where(and(eq(domainVerifications.settingId, entry.setting.id), eq(domainVerifications.orgId, entry.setting.orgId)))
    .returning();
  const [rows] = await db.batch([update, ...events]);
  const row = (rows as DomainVerificationRow[])[0];
  if (!row) throw domainNotFound(entry.setting.value ?? "");
  return row;
}

/** Moves the next check of `domain`, verified by an org other than `orgId`, to `iso` (when later). */
export function recheckOtherHolderAt(db: Database, domain: string, orgId: string, iso: string) {
  return db
    .update(domainVerifications)
    .set({ nextCheckAt: iso })
    .where(
      and(
        eq(domainVerifications.domain, domain),
        eq(domainVerifications.status, "verified"),
        ne(domainVerifications.orgId, orgId),
        gt(domainVerifications.nextCheckAt, iso),
      ),
    )
    .run();
}

/**
 * Deletes the domain's setting and state in one batch, unless an address at the domain exists: that check
 * is part of both statements, so an address created meanwhile still blocks it. False when nothing was deleted.
 */
export async function deleteDomainRows(db: Database, setting: SettingRow, domain: string): Promise<boolean> {
  const { orgId } = setting;
  const noAddress = noAddressAtDomain(db, orgId, domain);
  const [, deletedSettings] = await db.batch([
    db
      .delete(domainVerifications)
      .where(and(eq(domainVerifications.settingId, setting.id), eq(domainVerifications.orgId, orgId), noAddress))
      .returning({ id: domainVerifications.settingId }),
    db
      .delete(settings)
      .where(and(eq(settings.id, setting.id), eq(settings.orgId, orgId), noAddress))
      .returning({ id: settings.id }),
    // The webhook event, only when the setting was deleted (the statement right before it changed a row).
    ...eventStatements(db, { orgId, type: "domain.deleted", data: { domain } }),
  ]);
  return deletedSettings.length > 0;
}

// The scheduled re-check's queue (see recheck.ts).

/**
 * The domains due at `dueBy`, fair across organizations: each org's due domains are ranked oldest first,
 * and the batch takes every org's first, then every org's second, and so on (oldest first within a rank),
 * so one org's backlog never delays another org's domains by more than one slot per org.
 */
export function selectDue(db: Database, dueBy: string, limit: number) {
  const ranked = db
    .select({
      settingId: domainVerifications.settingId,
      nextCheckAt: domainVerifications.nextCheckAt,
      orgRank:
        sql<number>`row_number() OVER (PARTITION BY ${domainVerifications.orgId} ORDER BY ${domainVerifications.nextCheckAt}, ${domainVerifications.settingId})`.as(
          "org_rank",
        ),
    })
    .from(domainVerifications)
    .where(lte(domainVerifications.nextCheckAt, dueBy))
    .as("ranked");
  return db
    .select({ setting: settings, state: domainVerifications })
    .from(ranked)
    .innerJoin(domainVerifications, eq(domainVerifications.settingId, ranked.settingId))
    .innerJoin(
      settings,
      and(eq(settings.id, domainVerifications.settingId), eq(settings.orgId, domainVerifications.orgId)),
    )
    .orderBy(asc(ranked.orgRank), asc(ranked.nextCheckAt), asc(ranked.settingId))
    .limit(limit)
    .all();
}

/**
 * Takes the domain for this run if it is still due: one conditional UPDATE, so of two runs only one gets
 * it, and a manual verify that saved meanwhile (next check moved ahead) makes the run skip it.
 */
export function claimDue(db: Database, settingId: string, dueBy: string, until: string) {
  return db
    .update(domainVerifications)
    .set({ nextCheckAt: until })
    .where(and(eq(domainVerifications.settingId, settingId), lte(domainVerifications.nextCheckAt, dueBy)))
    .returning()
    .get();
}

/** Gives a claimed domain back (still due, as before the claim) unless a check saved meanwhile. */
export function releaseClaim(db: Database, state: DomainVerificationRow, previous: string, until: string) {
  return db
    .update(domainVerifications)
    .set({ nextCheckAt: previous })
    .where(and(eq(domainVerifications.settingId, state.settingId), eq(domainVerifications.nextCheckAt, until)))
    .run();
}

/** Moves a domain's next check to `at` (one broken row must not hold the head of the queue). */
export function postponeCheck(db: Database, settingId: string, at: string) {
  return db
    .update(domainVerifications)
    .set({ nextCheckAt: at })
    .where(eq(domainVerifications.settingId, settingId))
    .run();
}

/** Up to `limit` `email_domain` settings (any org) that have no verification state yet. */
export async function settingsWithoutState(db: Database, limit: number): Promise<SettingRow[]> {
  const rows = await db
    .select({ setting: settings })
    .from(settings)
    .leftJoin(domainVerifications, eq(domainVerifications.settingId, settings.id))
    .where(and(eq(settings.type, "email_domain"), isNull(domainVerifications.settingId)))
    .limit(limit)
    .all();
  return rows.map((row) => row.setting);
}
