/**
 * Every raw statement on `settings` and its plain reads and writes: org-scoped throughout. The domains
 * feature stores its `email_domain` rows through the conditions exported here (see its store).
 */
import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { insertWhere } from "@/db/insert-where";
import { type SettingRow, type SettingType, settings } from "@/db/schema";
import type { NormalizedSetting } from "./fields";

/** Creation order: `created_at`, then insertion order for rows created in the same millisecond. */
export const settingsCreationOrder = [settings.createdAt, sql`${settings}.rowid`] as const;

export function findSetting(db: Database, orgId: string, id: string, type?: SettingType) {
  return db
    .select()
    .from(settings)
    .where(and(eq(settings.orgId, orgId), eq(settings.id, id), type ? eq(settings.type, type) : undefined))
    .get();
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
  normalized: NormalizedSetting,
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
