/**
 * Every statement on `settings`, org-scoped throughout. Below the features because three rooms use it: the
 * settings room, domains (its `email_domain` rows, through the conditions exported here) and email addresses
 * (a default signature must exist).
 */
import { and, eq, isNull, ne, or, type SQL, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { insertWhere } from "@/db/insert-where";
import { type SettingRow, type SettingType, settings } from "@/db/schema";

/** A signature of the org by id (its id only): for reads and for `exists(...)` inside a write's condition. */
export function signatureIdQuery(db: Database, orgId: string, id: string) {
  return db
    .select({ id: settings.id })
    .from(settings)
    .where(and(eq(settings.orgId, orgId), eq(settings.id, id), eq(settings.type, "signature")));
}

/** Creation order: `created_at`, then insertion order for rows created in the same millisecond. */
export const settingsCreationOrder = [settings.createdAt, sql`${settings}.rowid`] as const;

export function findSetting(db: Database, orgId: string, id: string, type?: SettingType) {
  return db
    .select()
    .from(settings)
    .where(and(eq(settings.orgId, orgId), eq(settings.id, id), type ? eq(settings.type, type) : undefined))
    .get();
}

/**
 * Up to `limit` signatures (any org) whose markup another sanitizer version than `currentVersion` (or an
 * unknown one) produced. Found through settings_signature_version_idx: a run with nothing stale reads no markup.
 */
export function listStaleSignatures(db: Database, currentVersion: string, limit: number) {
  const staleSignatures = and(
    eq(settings.type, "signature"),
    or(isNull(settings.sanitizerVersion), ne(settings.sanitizerVersion, currentVersion)),
  );
  return db.select().from(settings).where(staleSignatures).limit(limit).all();
}

export function listSettings(db: Database, orgId: string, type: SettingType) {
  return db
    .select()
    .from(settings)
    .where(and(eq(settings.orgId, orgId), eq(settings.type, type)))
    .orderBy(...settingsCreationOrder)
    .all();
}

/** The org's settings of a type, counted inside the statement that inserts one (the type index answers it). */
const settingCount = (orgId: string, type: SettingType) =>
  sql`(SELECT count(*) FROM ${settings} WHERE ${settings.orgId} = ${orgId} AND ${settings.type} = ${type})`;

/** Holds while the org has fewer than `max` settings of the type: the cap condition of an insert. */
export const fewerSettingsThan = (orgId: string, type: SettingType, max: number): SQL =>
  sql`${settingCount(orgId, type)} < ${max}`;

/** Holds once the setting `id` exists (a later statement of the same batch depends on it). */
export const settingExists = (id: string): SQL => sql`EXISTS (SELECT 1 FROM ${settings} WHERE ${settings.id} = ${id})`;

/** Inserts `row` only while the org has fewer than `max` settings of its type; see insertWhere. */
export const insertSettingBelowCap = (db: Database, row: SettingRow, max: number) =>
  insertWhere(db, settings, row, fewerSettingsThan(row.orgId, row.type, max));

/** Must match the partial unique index's WHERE clause for SQLite to use it as the upsert target. */
const isSingletonKey = sql`unique_key IS NOT NULL`;

/**
 * Inserts the setting and answers the stored row; undefined when the org already holds `maxPerType`
 * settings of the type. restrict_duplicates_within is one per org and replaces its value in place.
 */
export function insertSetting(
  db: Database,
  row: typeof settings.$inferInsert & { type: SettingType; orgId: string },
  normalized: { name: string | null; value: string | null; extra: Record<string, unknown> },
  maxPerType: number,
) {
  if (row.type !== "restrict_duplicates_within") {
    return insertWhere(db, settings, row, fewerSettingsThan(row.orgId, row.type, maxPerType))
      .returning()
      .get();
  }
  return db
    .insert(settings)
    .values(row)
    .onConflictDoUpdate({
      target: [settings.orgId, settings.type, settings.uniqueKey],
      targetWhere: isSingletonKey,
      set: {
        name: normalized.name,
        value: normalized.value,
        extra: normalized.extra,
        updatedAt: row.updatedAt,
        updatedBy: row.updatedBy,
      },
    })
    .returning()
    .get();
}

/** Sets the given columns of one setting and answers the updated row; undefined when the org has no such setting. */
export function updateSettingRow(
  db: Database,
  orgId: string,
  id: string,
  values: Partial<typeof settings.$inferInsert>,
) {
  return db
    .update(settings)
    .set(values)
    .where(and(eq(settings.orgId, orgId), eq(settings.id, id)))
    .returning()
    .get();
}

/** Deletes one setting, returning the deleted row; for a batch with what must not outlive it. */
export function deleteSettingStatement(db: Database, orgId: string, id: string) {
  return db
    .delete(settings)
    .where(and(eq(settings.orgId, orgId), eq(settings.id, id)))
    .returning();
}

/**
 * Writes re-sanitized markup over the stale markup it came from. Only while the row still holds that
 * version and `updated_at`: an edit in between wrote current markup itself and is never overwritten.
 * `updated_at` stays: re-sanitizing is no edit by a user.
 */
export function writeBackSignatureStatement(db: Database, stale: SettingRow, fresh: SettingRow) {
  return db
    .update(settings)
    .set({ html: fresh.html, value: fresh.value, sanitizerVersion: fresh.sanitizerVersion })
    .where(
      and(
        eq(settings.orgId, stale.orgId),
        eq(settings.id, stale.id),
        eq(settings.updatedAt, stale.updatedAt),
        stale.sanitizerVersion === null
          ? isNull(settings.sanitizerVersion)
          : eq(settings.sanitizerVersion, stale.sanitizerVersion),
      ),
    );
}
