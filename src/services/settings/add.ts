import { sql } from "drizzle-orm";
import { type Database, getDb, isUniqueViolation, nowIso } from "@/db/client";
import { type SettingType, settings } from "@/db/schema";
import type { AppEnv } from "@/lib/types";
import { addDomain } from "@/services/domains/add";
import { domainConfig } from "@/services/domains/config";
import { settingConflict } from "./errors";
import type { NormalizedSetting, SettingFields } from "./fields";
import { normalizeSetting } from "./normalize";
import { type SettingView, toSettingResponse } from "./response";

/** Must match the partial unique index's WHERE clause for SQLite to use it as the upsert target. */
const isSingletonKey = sql`unique_key IS NOT NULL`;

/**
 * Adds a legacy setting after its type's rules. An email_domain setting is a custom domain (the same
 * rules and verification state apply); restrict_duplicates_within is one per org, so adding it again
 * replaces the value in place. 409 for a value another setting of the type already holds.
 */
export async function addSetting(
  env: AppEnv,
  orgId: string,
  userId: string | undefined,
  input: SettingFields & { type: SettingType },
): Promise<SettingView> {
  const normalized = normalizeSetting(input.type, input);
  const db = getDb(env.DB);
  if (input.type === "email_domain") {
    const entry = await addDomain(db, orgId, userId ?? null, normalized.value ?? "", domainConfig(env), normalized);
    return toSettingResponse(entry.setting);
  }
  try {
    return toSettingResponse(await insertSetting(db, orgId, userId, input.type, normalized));
  } catch (err) {
    if (isUniqueViolation(err)) throw settingConflict(input.type, normalized.value);
    throw err;
  }
}

function insertSetting(
  db: Database,
  orgId: string,
  userId: string | undefined,
  type: SettingType,
  normalized: NormalizedSetting,
) {
  const now = nowIso();
  const insert = db.insert(settings).values({
    id: crypto.randomUUID(),
    orgId,
    type,
    ...normalized,
    createdAt: now,
    updatedAt: now,
    createdBy: userId,
    updatedBy: userId,
  });
  if (type !== "restrict_duplicates_within") return insert.returning().get();
  return insert
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
