import { getTableColumns, type SQL, sql } from "drizzle-orm";
import { type Database, getDb, isUniqueViolation, nowIso } from "@/db/client";
import { type SettingRow, type SettingType, settings } from "@/db/schema";
import { assertPlatformAddressHeldBy } from "@/features/email-addresses";
import { appConfig } from "@/lib/config";
import type { AppEnv } from "@/lib/types";
import type { DomainSettings } from "./domain-settings";
import { settingConflict, settingsAtCap } from "./errors";
import type { NormalizedSetting, SettingFields } from "./fields";
import { assertExtraWithinLimits, assertNameWithinLimit } from "./limits";
import { normalizeSetting } from "./normalize";
import { type SettingView, toSettingResponse } from "./response";

/** Must match the partial unique index's WHERE clause for SQLite to use it as the upsert target. */
const isSingletonKey = sql`unique_key IS NOT NULL`;

/**
 * Adds a legacy setting after its type's rules. An email_domain setting is a custom domain (the same
 * rules and verification state apply); restrict_duplicates_within is one per org, so adding it again
 * replaces the value in place. 409 for a value another setting of the type already holds, or when the
 * org already holds SETTINGS_PER_TYPE_MAX settings of the type. 400 for additional properties over
 * their limits (see limits.ts), checked before anything is parsed or sanitized.
 */
export async function addSetting(
  env: AppEnv,
  domains: DomainSettings,
  orgId: string,
  userId: string | undefined,
  input: SettingFields & { type: SettingType },
): Promise<SettingView> {
  assertNameWithinLimit(input.name);
  assertExtraWithinLimits(input);
  const normalized = normalizeSetting(input.type, input);
  const db = getDb(env.DB);
  if (input.type === "email_address") {
    await assertPlatformAddressHeldBy(env, db, orgId, normalized.value ?? "", "value");
  }
  if (input.type === "email_domain") {
    return toSettingResponse(await domains.add(orgId, userId ?? null, normalized));
  }
  const maxPerType = appConfig(env).SETTINGS_PER_TYPE_MAX;
  let row: SettingRow | undefined;
  try {
    row = await insertSetting(db, orgId, userId, input.type, normalized, maxPerType);
  } catch (err) {
    if (isUniqueViolation(err)) throw settingConflict(input.type, normalized.value);
    throw err;
  }
  if (!row) throw settingsAtCap(input.type, maxPerType);
  return toSettingResponse(row);
}

/** The org's settings of a type, counted inside the statement that inserts one (the type index answers it). */
const settingCount = (orgId: string, type: SettingType) =>
  sql`(SELECT count(*) FROM ${settings} WHERE ${settings.orgId} = ${orgId} AND ${settings.type} = ${type})`;

/**
 * `INSERT ... SELECT <values> WHERE <condition>`: the row is written only when `condition` holds at
 * that moment, decided by SQLite within the one statement, so concurrent adds cannot both pass a check.
 * Values go through each column's driver mapping (JSON for `extra`), as `.values()` would.
 */
function insertWhere(db: Database, row: typeof settings.$inferInsert, condition: SQL) {
  const values = Object.entries(getTableColumns(settings)).map(([key, column]) =>
    sql.param((row as Record<string, unknown>)[key] ?? null, column),
  );
  return db.insert(settings).select(sql`SELECT ${sql.join(values, sql`, `)} WHERE ${condition}`);
}

/**
 * Inserts the setting and answers the stored row; undefined when the org already holds `maxPerType`
 * settings of the type. restrict_duplicates_within is one per org and replaces its value in place.
 */
function insertSetting(
  db: Database,
  orgId: string,
  userId: string | undefined,
  type: SettingType,
  normalized: NormalizedSetting,
  maxPerType: number,
) {
  const now = nowIso();
  const row = {
    id: crypto.randomUUID(),
    orgId,
    type,
    ...normalized,
    createdAt: now,
    updatedAt: now,
    createdBy: userId,
    updatedBy: userId,
  };
  if (type !== "restrict_duplicates_within") {
    return insertWhere(db, row, sql`${settingCount(orgId, type)} < ${maxPerType}`)
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
        updatedAt: now,
        updatedBy: userId,
      },
    })
    .returning()
    .get();
}
