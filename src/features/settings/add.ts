import { isUniqueViolation, nowIso } from "@/db/client";
import type { SettingRow, SettingType } from "@/db/schema";
import { insertSetting } from "@/db/stores/settings.store";
import { assertPlatformAddressHeldBy } from "@/features/email-addresses";
import type { Services } from "@/lib/services";
import type { DomainSettings } from "./domain-settings";
import { settingConflict, settingsAtCap } from "./errors";
import type { NormalizedSetting, SettingFields } from "./fields";
import { assertExtraWithinLimits, assertNameWithinLimit } from "./limits";
import { normalizeSetting } from "./normalize";
import { type SettingView, toSettingResponse } from "./response";

/**
 * Adds a legacy setting after its type's rules. An email_domain setting is a custom domain (the same
 * rules and verification state apply); restrict_duplicates_within is one per org, so adding it again
 * replaces the value in place. 409 for a value another setting of the type already holds, or when the
 * org already holds SETTINGS_PER_TYPE_MAX settings of the type. 400 for additional properties over
 * their limits (see limits.ts), checked before anything is parsed or sanitized.
 */
export async function addSetting(
  services: Services,
  domains: DomainSettings,
  orgId: string,
  userId: string | undefined,
  input: SettingFields & { type: SettingType },
): Promise<SettingView> {
  assertNameWithinLimit(input.name);
  assertExtraWithinLimits(input);
  const normalized = normalizeSetting(input.type, input);
  const { db } = services;
  if (input.type === "email_address") {
    await assertPlatformAddressHeldBy(services, db, orgId, normalized.value ?? "", "value");
  }
  if (input.type === "email_domain") {
    return toSettingResponse(await domains.add(orgId, userId ?? null, normalized));
  }
  const maxPerType = services.config.SETTINGS_PER_TYPE_MAX;
  let row: SettingRow | undefined;
  try {
    row = await insertSetting(db, newSettingRow(orgId, userId, input.type, normalized), normalized, maxPerType);
  } catch (err) {
    if (isUniqueViolation(err)) throw settingConflict(input.type, normalized.value);
    throw err;
  }
  if (!row) throw settingsAtCap(input.type, maxPerType);
  return toSettingResponse(row);
}

/** The row of a new setting, stored by insertSetting (restrict_duplicates_within replaces its value in place). */
function newSettingRow(orgId: string, userId: string | undefined, type: SettingType, normalized: NormalizedSetting) {
  const now = nowIso();
  return {
    id: crypto.randomUUID(),
    orgId,
    type,
    ...normalized,
    createdAt: now,
    updatedAt: now,
    createdBy: userId,
    updatedBy: userId,
  };
}
