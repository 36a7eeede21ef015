import { nowIso } from "@/db/client";
import { kickWebhookDeliveries } from "@/db/outbox";
import type { SettingType } from "@/db/schema";
import { deleteSettingStatement, findSetting } from "@/db/stores/settings.store";
import { clearDefaultSignatureStatement } from "@/features/email-addresses";
import type { Services } from "@/lib/services";
import type { DomainSettings } from "./domain-settings";
import { settingNotFound } from "./errors";
import { type SettingView, toSettingResponse } from "./response";

/**
 * Deletes the org's setting of that id and type and answers it; 404 when there is none. A deleted
 * signature does not linger as any address's default: both change in one transaction. An email_domain
 * setting is a custom domain, so deleting it follows deleteDomain's rules: 409 while addresses use it,
 * its verification state goes with it, and `domain.deleted` is emitted.
 */
export async function deleteSetting(
  services: Services,
  domains: DomainSettings,
  orgId: string,
  userId: string | undefined,
  id: string,
  type: SettingType,
): Promise<SettingView> {
  const { db } = services;
  const existing = await findSetting(db, orgId, id, type);
  if (!existing) throw settingNotFound(id);
  if (existing.type === "email_domain") {
    await domains.delete(orgId, existing.value ?? "");
    await kickWebhookDeliveries(services, orgId);
    return toSettingResponse(existing);
  }
  const [, deleted] = await db.batch([
    clearDefaultSignatureStatement(db, orgId, existing.id, userId, nowIso()),
    deleteSettingStatement(db, orgId, existing.id),
  ]);
  const row = deleted[0];
  if (!row) throw settingNotFound(id);
  return toSettingResponse(row);
}
