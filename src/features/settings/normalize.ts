import type { SettingType } from "@/db/schema";
import { badRequest } from "@/lib/errors";
import { parseCustomDomain } from "@/shared/domain-names";
import { SETTING_TEXT_MAX_CHARS, SETTING_TEXT_TOO_LONG } from "@/shared/setting-limits";
import { canonicalEmailAddress, parseDuplicateWindow } from "@/shared/validation";
import { type NormalizedSetting, RESERVED_KEYS, type SettingFields, SINGLETON_KEY } from "./fields";
import { cleanSignatureMarkup, SIGNATURE_SANITIZER_VERSION } from "./signature-html";

function assertTextSize(field: "html" | "value", text: string | undefined) {
  if (text !== undefined && text.length > SETTING_TEXT_MAX_CHARS)
    throw badRequest(`${field}: ${SETTING_TEXT_TOO_LONG}`);
}

/**
 * Applies the per-type rules to a setting (the merged state on update) and returns what is stored.
 * Throws a 400 ApiError naming the field on invalid input.
 */
export function normalizeSetting(type: SettingType, input: SettingFields): NormalizedSetting {
  assertTextSize("html", input.html);
  assertTextSize("value", typeof input.value === "string" ? input.value : undefined);
  const extra = Object.fromEntries(Object.entries(input).filter(([key]) => !RESERVED_KEYS.has(key)));
  const name = input.name?.trim() || null;
  const rawValue = input.value;
  const stringValue = typeof rawValue === "number" ? String(rawValue) : rawValue?.trim();
  switch (type) {
    case "signature": {
      if (!name) throw badRequest("name: a signature needs a name");
      // Sanitized once, here; reads serve the stored markup (see signature-html.ts).
      const html = cleanSignatureMarkup(input.html);
      const value = cleanSignatureMarkup(stringValue);
      if (!html && !value) throw badRequest("html: a signature needs html or value");
      return { name, value, html, uniqueKey: null, extra, sanitizerVersion: SIGNATURE_SANITIZER_VERSION };
    }
    case "email_domain": {
      if (!stringValue) throw badRequest("value: must be a fully qualified domain name such as mail.yourcompany.com");
      const parsed = parseCustomDomain(stringValue);
      if (!parsed.ok) throw badRequest(`value: ${parsed.reason}`);
      return { name, value: parsed.domain, html: null, uniqueKey: parsed.domain, extra };
    }
    case "email_address":
    case "whitelist_email_address": {
      const address = stringValue ? canonicalEmailAddress(stringValue) : undefined;
      if (!address) throw badRequest("value: must be a valid email address such as sales@yourcompany.com");
      return { name, value: address, html: null, uniqueKey: address, extra };
    }
    case "restrict_duplicates_within": {
      const ms = rawValue === undefined ? undefined : parseDuplicateWindow(rawValue);
      if (ms === undefined) {
        throw badRequest("value: must be a duration such as 10s, 5m or 1d, or a number of milliseconds (0 disables)");
      }
      return { name, value: canonicalDuration(stringValue ?? "", ms), html: null, uniqueKey: SINGLETON_KEY, extra };
    }
  }
}

/** `-5M` is stored as `5m`, `-60000` as `60000`: the sign is dropped and units lowercased. */
function canonicalDuration(input: string, ms: number): string {
  const unit = /(ms|s|m|h|d|w)\s*$/i.exec(input)?.[1];
  return unit
    ? `${input.trim().replace(/^-/, "").replace(/\s+/g, "").slice(0, -unit.length)}${unit.toLowerCase()}`
    : String(ms);
}
