import { isUniqueViolation, nowIso } from "@/db/client";
import type { SettingType } from "@/db/schema";
import { findSetting, updateSettingRow } from "@/db/stores/settings.store";
import { assertPlatformAddressHeldBy } from "@/features/email-addresses";
import { badRequest } from "@/lib/errors";
import type { Services } from "@/lib/services";
import { settingConflict, settingNotFound } from "./errors";
import type { SettingFields } from "./fields";
import { assertExtraWithinLimits, assertNameWithinLimit, hasExtraProperties } from "./limits";
import { normalizeSetting } from "./normalize";
import { type SettingView, toSettingResponse } from "./response";

/**
 * Partial update: fields the request leaves out keep their stored values, and the merged setting is
 * checked by its type's rules. 404 when the org has no such setting; 400 for a change of type or a
 * renamed email_domain; 409 for a value another setting of the type already holds. When the request
 * sends additional properties, the merged ones must keep within their limits (400); a request without
 * any leaves the stored ones as they are.
 */
export async function updateSetting(
  services: Services,
  orgId: string,
  userId: string | undefined,
  id: string,
  input: SettingFields & { type: SettingType },
): Promise<SettingView> {
  const { db } = services;
  assertNameWithinLimit(input.name);
  const existing = await findSetting(db, orgId, id);
  if (!existing) throw settingNotFound(id);
  if (existing.type !== input.type) {
    throw badRequest(`type: setting '${id}' is a ${existing.type} setting; its type cannot change`);
  }
  const merged = {
    ...existing.extra,
    name: existing.name ?? undefined,
    value: existing.value ?? undefined,
    html: existing.html ?? undefined,
    ...input,
  };
  if (hasExtraProperties(input)) assertExtraWithinLimits(merged);
  const normalized = normalizeSetting(existing.type, merged);
  if (existing.type === "email_domain" && normalized.value !== existing.value) {
    throw badRequest("value: a domain cannot be renamed; delete it and add the new domain instead");
  }
  if (existing.type === "email_address" && normalized.value !== existing.value) {
    await assertPlatformAddressHeldBy(services, db, orgId, normalized.value ?? "", "value");
  }
  try {
    const row = await updateSettingRow(db, orgId, existing.id, {
      ...normalized,
      updatedAt: nowIso(),
      updatedBy: userId,
    });
    if (!row) throw settingNotFound(id);
    return toSettingResponse(row);
  } catch (err) {
    if (isUniqueViolation(err)) throw settingConflict(existing.type, normalized.value);
    throw err;
  }
}
