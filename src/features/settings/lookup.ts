import type { SettingType } from "@/db/schema";
import { findSetting, listSettings } from "@/db/stores/settings.store";
import type { Services } from "@/lib/services";
import { settingNotFound } from "./errors";
import { type SettingView, toSettingResponse } from "./response";
import { refreshStaleSignatures } from "./signature-html";

/**
 * The org's settings of a type in creation order, or with an id the one setting of that type and id
 * (404 when the org has none). Signatures are served as stored; one an earlier sanitizer stored is
 * sanitized again and written back on the way.
 */
export async function getSettings(
  services: Pick<Services, "db">,
  orgId: string,
  type: SettingType,
  id: string | undefined,
): Promise<SettingView | SettingView[]> {
  const { db } = services;
  if (id) {
    const row = await findSetting(db, orgId, id, type);
    if (!row) throw settingNotFound(id);
    const [served = row] = await refreshStaleSignatures(db, [row]);
    return toSettingResponse(served);
  }
  const rows = await refreshStaleSignatures(db, await listSettings(db, orgId, type));
  return rows.map(toSettingResponse);
}
