import { sql } from "drizzle-orm";
import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { settings } from "./addresses-inboxes-settings";

/** Custom domains' verification state, 1:1 with their `email_domain` setting. */
export const DOMAIN_STATUSES = ["pending", "partially_verified", "verified", "failed"] as const;
export type DomainStatus = (typeof DOMAIN_STATUSES)[number];

/** The outcome of one DNS record's last check, kept per record key (e.g. `dkim:epilot1`). */
export interface StoredRecordCheck {
  key: string;
  /** The value that was expected when checked; a changed platform value makes the result stale. */
  expected: string;
  status: "verified" | "missing" | "mismatch" | "error";
  found: string[];
  hint: string;
  reason?: string;
}

export interface StoredNameServerCheck {
  status: "pass" | "fail" | "error";
  expected: string[];
  found: string[];
  results: { name_server: string; expected: boolean; found: boolean; status: "pass" | "fail" }[];
  hint: string;
  reason?: string;
  checked_at: string;
}

/**
 * Server-owned verification state of an `email_domain` setting (1:1, removed with the setting). The
 * domain itself stays in `settings`: this table never stores a domain the settings table does not have.
 * Kept apart from `settings.extra` because clients can write additional properties there.
 */
export const domainVerifications = sqliteTable(
  "domain_verifications",
  {
    settingId: text("setting_id")
      .primaryKey()
      .references(() => settings.id, { onDelete: "cascade" }),
    orgId: text("org_id").notNull(),
    /** The setting's value when this state was made; a legacy update of the value resets the state. */
    domain: text("domain").notNull(),
    status: text("status", { enum: DOMAIN_STATUSES }).notNull().default("pending"),
    /** Random ownership token (160 bits, hex) published as a TXT record. */
    token: text("token").notNull(),
    /** Random id in the DKIM CNAME targets, so the platform can host per-domain keys. */
    dkimKeyId: text("dkim_key_id").notNull(),
    records: text("records", { mode: "json" }).$type<StoredRecordCheck[]>().notNull().default(sql`'[]'`),
    nameServerCheck: text("name_server_check", { mode: "json" }).$type<StoredNameServerCheck>(),
    verifiedAt: text("verified_at"),
    lastCheckedAt: text("last_checked_at"),
    /** When the scheduled re-check next looks at this domain. */
    nextCheckAt: text("next_check_at").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    // A domain is verified for at most one organization, whatever requests race.
    uniqueIndex("domain_verifications_verified_domain_uq").on(t.domain).where(sql`${t.status} = 'verified'`),
    index("domain_verifications_org_domain_idx").on(t.orgId, t.domain),
    index("domain_verifications_next_check_idx").on(t.nextCheckAt),
  ],
);

export type DomainVerificationRow = typeof domainVerifications.$inferSelect;
