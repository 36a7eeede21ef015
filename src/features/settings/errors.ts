import type { SettingType } from "@/db/schema";
import { conflict, notFound } from "@/lib/errors";

export const settingNotFound = (id: string) => notFound(`Setting '${id}' not found`);

export function uniqueConflictMessage(type: SettingType, value: string | null): string {
  switch (type) {
    case "whitelist_email_address":
      return `'${value}' is already on the whitelist`;
    case "email_domain":
      return `Domain '${value}' is already configured for this organization`;
    case "email_address":
      return `Email address setting '${value}' already exists in this organization`;
    default:
      return "This setting already exists";
  }
}

/** 409 for a value another setting of the type already holds (the unique key). */
export const settingConflict = (type: SettingType, value: string | null) =>
  conflict(uniqueConflictMessage(type, value));

/** 409 for an add beyond SETTINGS_PER_TYPE_MAX. */
export const settingsAtCap = (type: SettingType, max: number) =>
  conflict(`This organization already has ${max} ${type} settings, the most allowed; delete one before adding another`);
