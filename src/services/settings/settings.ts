import { and, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { type SettingRow, type SettingType, settings } from "@/db/schema";
import { badRequest } from "@/lib/errors";
import type { Setting, SettingInput } from "@/schemas/settings";
import { parseCustomDomain } from "@/shared/domain-names";
import { SIGNATURE_MAX_CHARS, sanitizeSignatureHtml } from "@/shared/html-sanitizer";
import { isValidEmailAddress, normalizeEmailAddress, parseDuplicateWindow } from "@/shared/validation";

/** The verification state of an email_domain setting: owned by the server (see services/domains.ts). */
export const DOMAIN_STATE_KEYS = [
  "status",
  "name_servers",
  "dns_records",
  "verified_at",
  "last_checked_at",
  "next_check_at",
  "name_server_check",
] as const;

/** Fields the server owns; a client cannot set them through additional properties. */
const RESERVED_KEYS = new Set<string>([
  ...DOMAIN_STATE_KEYS,
  "id",
  "org_id",
  "type",
  "name",
  "value",
  "html",
  "created_at",
  "updated_at",
  "created_by",
  "updated_by",
]);

/** Longest `html` and `value` of a setting (characters): checked before any of it is sanitized or parsed. */
export const SETTING_TEXT_MAX_CHARS = SIGNATURE_MAX_CHARS;

function assertTextSize(field: "html" | "value", text: string | undefined) {
  if (text !== undefined && text.length > SETTING_TEXT_MAX_CHARS) {
    throw badRequest(`${field}: must be at most ${SETTING_TEXT_MAX_CHARS} characters (64 KiB)`);
  }
}

/** The one-per-org rule of restrict_duplicates_within is a unique key shared by all its rows. */
const SINGLETON_KEY = "singleton";

export interface NormalizedSetting {
  name: string | null;
  value: string | null;
  html: string | null;
  uniqueKey: string | null;
  extra: Record<string, unknown>;
}

/**
 * Applies the per-type rules to a setting (the merged state on update) and returns what is stored.
 * Throws a 400 ApiError naming the field on invalid input.
 */
export function normalizeSetting(type: SettingType, input: SettingInput): NormalizedSetting {
  assertTextSize("html", input.html);
  assertTextSize("value", typeof input.value === "string" ? input.value : undefined);
  const extra = Object.fromEntries(Object.entries(input).filter(([key]) => !RESERVED_KEYS.has(key)));
  const name = input.name?.trim() || null;
  const rawValue = input.value;
  const stringValue = typeof rawValue === "number" ? String(rawValue) : rawValue?.trim();
  switch (type) {
    case "signature": {
      if (!name) throw badRequest("name: a signature needs a name");
      // Markup that sanitizes to nothing but whitespace does not count as a signature body.
      const html = input.html?.trim() ? sanitizeSignatureHtml(input.html).trim() || null : null;
      const value = stringValue ? sanitizeSignatureHtml(stringValue).trim() || null : null;
      if (!html && !value) throw badRequest("html: a signature needs html or value");
      return { name, value, html, uniqueKey: null, extra };
    }
    case "email_domain": {
      if (!stringValue) throw badRequest("value: must be a fully qualified domain name such as mail.yourcompany.com");
      const parsed = parseCustomDomain(stringValue);
      if (!parsed.ok) throw badRequest(`value: ${parsed.reason}`);
      return { name, value: parsed.domain, html: null, uniqueKey: parsed.domain, extra };
    }
    case "email_address":
    case "whitelist_email_address": {
      if (!stringValue || !isValidEmailAddress(stringValue)) {
        throw badRequest("value: must be a valid email address such as sales@yourcompany.com");
      }
      const address = normalizeEmailAddress(stringValue);
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

/**
 * Signature markup is sanitized again when served: rows stored before the current sanitizer (whose
 * predecessor let `java&Tab;script:` links through) are answered safe too. Sanitizing is idempotent, so
 * rows stored since come back unchanged.
 */
const served = (row: SettingRow, text: string | null) =>
  text != null && row.type === "signature" ? sanitizeSignatureHtml(text) : text;

export function toSettingResponse(row: SettingRow): Setting {
  const value = served(row, row.value);
  const html = served(row, row.html);
  return {
    ...row.extra,
    id: row.id,
    org_id: row.orgId,
    type: row.type,
    ...(row.name != null && { name: row.name }),
    ...(value != null && { value }),
    ...(html != null && { html }),
    ...(row.type === "restrict_duplicates_within" &&
      row.value != null && { duration_ms: parseDuplicateWindow(row.value) ?? 0 }),
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    ...(row.createdBy != null && { created_by: row.createdBy }),
    ...(row.updatedBy != null && { updated_by: row.updatedBy }),
  };
}

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
