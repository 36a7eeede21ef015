import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { auditColumns } from "./audit";

/** Sender addresses, shared inboxes and their buckets, and the legacy settings (signatures, domains, ...). */
export const emailAddresses = sqliteTable(
  "email_addresses",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    /** Trimmed and lowercased on the way in, so equality is case-insensitive. */
    address: text("address").notNull(),
    name: text("name"),
    userIds: text("user_ids", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    groupIds: text("group_ids", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    defaultSignatureId: text("default_signature_id"),
    sharedInboxId: text("shared_inbox_id").notNull().default("default"),
    isActive: integer("is_active", { mode: "boolean" }).notNull().default(true),
    isPrimary: integer("is_primary", { mode: "boolean" }).notNull().default(false),
    isEpilotEmailAddress: integer("is_epilot_email_address", { mode: "boolean" }).notNull().default(false),
    ...auditColumns,
  },
  (t) => [
    uniqueIndex("email_addresses_org_address_uq").on(t.orgId, t.address),
    // At most one primary address per org, whatever requests race.
    uniqueIndex("email_addresses_one_primary_per_org_uq").on(t.orgId).where(sql`${t.isPrimary} = 1`),
    // A provisioned platform address belongs to exactly one org across the service.
    uniqueIndex("email_addresses_epilot_address_uq").on(t.address).where(sql`${t.isEpilotEmailAddress} = 1`),
    index("email_addresses_org_created_idx").on(t.orgId, t.createdAt),
    index("email_addresses_org_inbox_idx").on(t.orgId, t.sharedInboxId),
  ],
);

export const sharedInboxes = sqliteTable(
  "shared_inboxes",
  {
    orgId: text("org_id").notNull(),
    id: text("id").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    color: text("color").notNull(),
    assignees: text("assignees", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    ...auditColumns,
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] }), index("shared_inboxes_org_created_idx").on(t.orgId, t.createdAt)],
);

export const inboxBuckets = sqliteTable(
  "inbox_buckets",
  {
    orgId: text("org_id").notNull(),
    id: text("id").notNull(),
    inboxId: text("inbox_id").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] }), uniqueIndex("inbox_buckets_org_inbox_uq").on(t.orgId, t.inboxId)],
);

export const SETTING_TYPES = [
  "signature",
  "email_domain",
  "email_address",
  "whitelist_email_address",
  "restrict_duplicates_within",
] as const;
export type SettingType = (typeof SETTING_TYPES)[number];

export const settings = sqliteTable(
  "settings",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    type: text("type", { enum: SETTING_TYPES }).notNull(),
    name: text("name"),
    value: text("value"),
    html: text("html"),
    /**
     * What must be unique for this type within the org (normalized address or domain, or a constant
     * for the one-per-org `restrict_duplicates_within`); null for types without such a rule.
     */
    uniqueKey: text("unique_key"),
    /** The contract allows additional properties on a setting; they are kept here verbatim. */
    extra: text("extra", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    /**
     * Signatures only: the version of the sanitizer that produced the stored `html`/`value`. A row of
     * another version (or null: stored before versions were kept) is sanitized again, see
     * src/features/settings/signature-html.ts; other types leave it null.
     */
    sanitizerVersion: text("sanitizer_version"),
    ...auditColumns,
  },
  (t) => [
    uniqueIndex("settings_org_type_unique_key_uq")
      .on(t.orgId, t.type, t.uniqueKey)
      .where(sql`${t.uniqueKey} IS NOT NULL`),
    index("settings_org_type_created_idx").on(t.orgId, t.type, t.createdAt),
    // The cron finds stale signatures from this index alone, without reading their markup.
    index("settings_signature_version_idx").on(t.sanitizerVersion).where(sql`${t.type} = 'signature'`),
  ],
);

export type EmailAddressRow = typeof emailAddresses.$inferSelect;
export type SharedInboxRow = typeof sharedInboxes.$inferSelect;
export type InboxBucketRow = typeof inboxBuckets.$inferSelect;
export type SettingRow = typeof settings.$inferSelect;
