import { and, eq, sql } from "drizzle-orm";
import { type Database, getDb } from "@/db/client";
import { type SettingType, settings } from "@/db/schema";
import type { AppEnv } from "@/lib/types";
import { settingNotFound } from "./errors";
import { type SettingView, toSettingResponse } from "./response";
import { refreshStaleSignatures } from "./signature-html";

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
 * (404 when the org has none). Signatures are served as stored; one an earlier sanitizer stored is
 * sanitized again and written back on the way.
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
    const [served = row] = await refreshStaleSignatures(db, [row]);
    return toSettingResponse(served);
  }
  const rows = await refreshStaleSignatures(db, await listSettings(db, orgId, type));
  return rows.map(toSettingResponse);
}
