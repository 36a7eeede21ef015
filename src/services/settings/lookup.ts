import { and, eq, sql } from "drizzle-orm";
import { type Database, getDb } from "@/db/client";
import { type SettingType, settings } from "@/db/schema";
import type { AppEnv } from "@/lib/types";
import { settingNotFound } from "./errors";
import { type SettingView, toSettingResponse } from "./response";

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
    .orderBy(settings.createdAt, sql`rowid`)
    .all();
}

/**
 * The org's settings of a type in creation order, or with an id the one setting of that type and id
 * (404 when the org has none).
 */
export async function getSettings(
  env: AppEnv,
  orgId: string,
  type: SettingType,
  id: string | undefined,
): Promise<SettingView | SettingView[]> {
  const db = getDb(env.DB);
  if (id) {
    const row = await findSetting(db, orgId, id, type);
    if (!row) throw settingNotFound(id);
    return toSettingResponse(row);
  }
  const rows = await listSettings(db, orgId, type);
  return rows.map(toSettingResponse);
}
