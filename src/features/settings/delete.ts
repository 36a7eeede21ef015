import { and, eq } from "drizzle-orm";
import { nowIso } from "@/db/client";
import { kickWebhookDeliveries } from "@/db/outbox";
import { emailAddresses, type SettingType, settings } from "@/db/schema";
import type { Services } from "@/lib/services";
import type { DomainSettings } from "./domain-settings";
import { settingNotFound } from "./errors";
import { type SettingView, toSettingResponse } from "./response";
import { findSetting } from "./settings.store";

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
    db
      .update(emailAddresses)
      .set({ defaultSignatureId: null, updatedAt: nowIso(), updatedBy: userId })
      .where(and(eq(emailAddresses.orgId, orgId), eq(emailAddresses.defaultSignatureId, existing.id))),
    db
      .delete(settings)
      .where(and(eq(settings.orgId, orgId), eq(settings.id, existing.id)))
      .returning(),
  ]);
  const row = deleted[0];
  if (!row) throw settingNotFound(id);
  return toSettingResponse(row);
}
