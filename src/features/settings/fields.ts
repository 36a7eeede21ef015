/** The verification state of an email_domain setting: owned by the server (see src/features/domains/). */
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
export const RESERVED_KEYS = new Set<string>([
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

/** The one-per-org rule of restrict_duplicates_within is a unique key shared by all its rows. */
export const SINGLETON_KEY = "singleton";

/**
 * A setting as a caller sends it (the SettingInput of the contract, validated), or the merged state on
 * update: `value` may be a number (milliseconds for restrict_duplicates_within); any other property is
 * stored and echoed unless it is one of RESERVED_KEYS.
 */
export interface SettingFields {
  name?: string;
  value?: string | number;
  html?: string;
  [key: string]: unknown;
}

/** What a setting stores after its type's rules were applied. */
export interface NormalizedSetting {
  name: string | null;
  value: string | null;
  html: string | null;
  uniqueKey: string | null;
  extra: Record<string, unknown>;
  /** Signatures: the sanitizer version their markup was produced by (see signature-html.ts). */
  sanitizerVersion?: string;
}
