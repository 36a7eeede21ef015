import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * Every table carries `org_id` and every query filters on it: tenant isolation is a property of the
 * schema, not only of the handlers. Timestamps are ISO-8601 strings because the contract returns
 * them that way; lists order by (created_at, rowid) so rows created in the same millisecond keep
 * their insertion order. Uniqueness rules live in indexes so concurrent requests cannot break them.
 */
const auditColumns = {
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
  createdBy: text("created_by"),
  updatedBy: text("updated_by"),
};

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
    ...auditColumns,
  },
  (t) => [
    uniqueIndex("settings_org_type_unique_key_uq")
      .on(t.orgId, t.type, t.uniqueKey)
      .where(sql`${t.uniqueKey} IS NOT NULL`),
    index("settings_org_type_created_idx").on(t.orgId, t.type, t.createdAt),
  ],
);

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

export type EmailAddressRow = typeof emailAddresses.$inferSelect;
export type SharedInboxRow = typeof sharedInboxes.$inferSelect;
export type InboxBucketRow = typeof inboxBuckets.$inferSelect;
export type SettingRow = typeof settings.$inferSelect;
export type DomainVerificationRow = typeof domainVerifications.$inferSelect;

// ---------------------------------------------------------------------------------------------------
// Microsoft 365 (Outlook) connections: one per (org, Azure AD tenant).

export const OUTLOOK_CONNECTION_STATUSES = ["connected", "expired", "pending_auth", "not_connected"] as const;
export type OutlookConnectionStatusValue = (typeof OUTLOOK_CONNECTION_STATUSES)[number];

/**
 * A tenant-level Microsoft 365 connection. Tokens are stored only sealed (AES-GCM, see
 * services/crypto/sealing.ts), bound to their row and purpose. `refresh_lock_*` is the lease that lets
 * one token refresh run at a time per connection across requests and isolates; `token_version`
 * increases with every stored token set so waiting callers can see that a refresh finished.
 */
export const outlookConnections = sqliteTable(
  "outlook_connections",
  {
    orgId: text("org_id").notNull(),
    tenantId: text("tenant_id").notNull(),
    status: text("status", { enum: OUTLOOK_CONNECTION_STATUSES }).notNull(),
    accessTokenSealed: text("access_token_sealed"),
    refreshTokenSealed: text("refresh_token_sealed"),
    accessTokenExpiresAt: text("access_token_expires_at"),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    /** Azure AD object id (`oid`), display name and sign-in name of the Microsoft user who connected. */
    connectedByUserId: text("connected_by_user_id"),
    connectedByDisplayName: text("connected_by_display_name"),
    connectedByEmail: text("connected_by_email"),
    /** The epilot user who started the connect flow. */
    connectedByEpilotUserId: text("connected_by_epilot_user_id"),
    connectedAt: text("connected_at"),
    adminConsentedAt: text("admin_consented_at"),
    tokenVersion: integer("token_version").notNull().default(0),
    refreshLockId: text("refresh_lock_id"),
    refreshLockExpiresAt: text("refresh_lock_expires_at"),
    /** OAuth error code (and AADSTS number, for support) of the last failed refresh. */
    lastError: text("last_error"),
    lastErrorAt: text("last_error_at"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.tenantId] }),
    index("outlook_connections_org_created_idx").on(t.orgId, t.createdAt),
  ],
);

export const OUTLOOK_OAUTH_FLOWS = ["authorize", "admin_consent"] as const;
export type OutlookOAuthFlow = (typeof OUTLOOK_OAUTH_FLOWS)[number];

/**
 * One-time OAuth `state`s. Only the SHA-256 of the state is stored; the PKCE verifier is sealed.
 * A state is consumed (used_at) atomically by the callback and is worthless after `expires_at`.
 * `browser_binding_hash` is the SHA-256 of the flow cookie the starting browser received: the callback
 * serves a state only to the browser that carries that cookie (NULL, from before the column existed:
 * served to nobody).
 */
export const outlookOAuthStates = sqliteTable(
  "outlook_oauth_states",
  {
    stateHash: text("state_hash").primaryKey(),
    orgId: text("org_id").notNull(),
    userId: text("user_id"),
    flow: text("flow", { enum: OUTLOOK_OAUTH_FLOWS }).notNull(),
    /** The tenant segment the flow was started for (MS_TENANT, e.g. `organizations`, or a tenant id). */
    tenantId: text("tenant_id").notNull(),
    codeVerifierSealed: text("code_verifier_sealed"),
    browserBindingHash: text("browser_binding_hash"),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
    usedAt: text("used_at"),
  },
  (t) => [
    index("outlook_oauth_states_expires_idx").on(t.expiresAt),
    index("outlook_oauth_states_browser_idx").on(t.browserBindingHash),
  ],
);

export const OUTLOOK_ATTEMPT_OUTCOMES = ["pending", "succeeded", "failed"] as const;
export type OutlookAttemptOutcome = (typeof OUTLOOK_ATTEMPT_OUTCOMES)[number];

/**
 * Connect attempts and their outcome. The org's last finished attempt for a tenant decides whether
 * connectOutlook answers an authorization URL or 403 with an admin consent URL. Rows expire
 * (`expires_at`) and are removed by the scheduled cleanup.
 */
export const outlookOAuthAttempts = sqliteTable(
  "outlook_oauth_attempts",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    tenantId: text("tenant_id").notNull(),
    userId: text("user_id"),
    flow: text("flow", { enum: OUTLOOK_OAUTH_FLOWS }).notNull(),
    stateHash: text("state_hash"),
    outcome: text("outcome", { enum: OUTLOOK_ATTEMPT_OUTCOMES }).notNull().default("pending"),
    error: text("error"),
    errorDescription: text("error_description"),
    errorSubcode: text("error_subcode"),
    errorUri: text("error_uri"),
    consentRequired: integer("consent_required", { mode: "boolean" }).notNull().default(false),
    createdAt: text("created_at").notNull(),
    finishedAt: text("finished_at"),
    expiresAt: text("expires_at").notNull(),
  },
  (t) => [
    index("outlook_oauth_attempts_org_tenant_idx").on(t.orgId, t.tenantId, t.finishedAt),
    index("outlook_oauth_attempts_state_idx").on(t.stateHash),
    index("outlook_oauth_attempts_expires_idx").on(t.expiresAt),
  ],
);

export type OutlookConnectionRow = typeof outlookConnections.$inferSelect;
export type OutlookOAuthStateRow = typeof outlookOAuthStates.$inferSelect;
export type OutlookOAuthAttemptRow = typeof outlookOAuthAttempts.$inferSelect;

// ---------------------------------------------------------------------------------------------------
// Outlook mailboxes and the mail import pipeline (issue 5).

/**
 * A connected Outlook mailbox: the mapping between an address and the tenant connection that reaches
 * it. The org's email address entity with the same address is the sender identity (looked up by
 * address). `sync_fencing_token` is the token of the newest sync lease the mailbox's Durable Object
 * granted; every import write checks it, so a consumer of an expired lease cannot write.
 */
export const outlookMailboxes = sqliteTable(
  "outlook_mailboxes",
  {
    orgId: text("org_id").notNull(),
    /** Lowercased address of the mailbox. */
    email: text("email").notNull(),
    tenantId: text("tenant_id").notNull(),
    provider: text("provider", { enum: ["outlook"] })
      .notNull()
      .default("outlook"),
    sharedInboxId: text("shared_inbox_id").notNull().default("default"),
    connectedAt: text("connected_at").notNull(),
    connectedByUserId: text("connected_by_user_id"),
    syncFencingToken: integer("sync_fencing_token"),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.email] }),
    index("outlook_mailboxes_org_tenant_idx").on(t.orgId, t.tenantId),
    index("outlook_mailboxes_org_inbox_idx").on(t.orgId, t.sharedInboxId),
  ],
);

export const MAILBOX_SYNC_STATUSES = ["RUNNING", "COMPLETED", "COMPLETED_WITH_ERRORS", "FAILED", "CANCELLED"] as const;
export type MailboxSyncStatusValue = (typeof MAILBOX_SYNC_STATUSES)[number];
export const MAILBOX_FOLDER_STATUSES = ["PENDING", "RUNNING", "COMPLETED", "FAILED", "SKIPPED"] as const;
export type MailboxFolderStatusValue = (typeof MAILBOX_FOLDER_STATUSES)[number];
export const MAILBOX_SYNC_TIMEFRAMES = ["5m", "1w", "2w", "1m"] as const;
export type MailboxSyncTimeframe = (typeof MAILBOX_SYNC_TIMEFRAMES)[number];

/** Per-folder counters of an execution (snapshotted when it ends; computed live while it runs). */
export interface FolderCounters {
  total_messages: number;
  processed_messages: number;
  failed_messages: number;
}

/**
 * One sync (or retry) execution of a mailbox. Folder state is kept per folder; counters are computed
 * from `mailbox_sync_items` while running and stored when the execution ends.
 */
export const mailboxSyncExecutions = sqliteTable(
  "mailbox_sync_executions",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    mailbox: text("mailbox").notNull(),
    kind: text("kind", { enum: ["sync", "retry"] }).notNull(),
    /** For a retry: the execution whose failed messages it retries. */
    retryOf: text("retry_of"),
    timeframe: text("timeframe", { enum: MAILBOX_SYNC_TIMEFRAMES }).notNull(),
    status: text("status", { enum: MAILBOX_SYNC_STATUSES }).notNull(),
    fencingToken: integer("fencing_token").notNull(),
    /** Lower bound of the enumeration (now - timeframe at start) and its fixed upper bound (start). */
    windowStart: text("window_start").notNull(),
    inboxStatus: text("inbox_status", { enum: MAILBOX_FOLDER_STATUSES }).notNull(),
    sentItemsStatus: text("sent_items_status", { enum: MAILBOX_FOLDER_STATUSES }).notNull(),
    inboxCounters: text("inbox_counters", { mode: "json" }).$type<FolderCounters>(),
    sentItemsCounters: text("sent_items_counters", { mode: "json" }).$type<FolderCounters>(),
    /**
     * Pages of each folder already imported (the next page task expected is number N). A redelivered
     * page task with a lower number is a duplicate: it is acknowledged without work, so redeliveries
     * never fork a second chain of page tasks.
     */
    inboxPagesDone: integer("inbox_pages_done").notNull().default(0),
    sentItemsPagesDone: integer("sent_items_pages_done").notNull().default(0),
    error: text("error"),
    startedAt: text("started_at").notNull(),
    completedAt: text("completed_at"),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("mailbox_sync_executions_org_mailbox_idx").on(t.orgId, t.mailbox, t.startedAt)],
);

export const MAILBOX_ITEM_STATUSES = ["PENDING", "IMPORTED", "FAILED", "PERMANENTLY_FAILED"] as const;
export type MailboxItemStatus = (typeof MAILBOX_ITEM_STATUSES)[number];

/**
 * Import state of one Graph message of a mailbox (immutable id): which execution handles it now,
 * whether it is imported, and for failures the attempt count and last error. `attempted_in` is the
 * execution whose attempt was last counted, so a redelivered queue message never counts twice.
 */
export const mailboxSyncItems = sqliteTable(
  "mailbox_sync_items",
  {
    orgId: text("org_id").notNull(),
    mailbox: text("mailbox").notNull(),
    graphId: text("graph_id").notNull(),
    executionId: text("execution_id").notNull(),
    folder: text("folder", { enum: ["inbox", "sentitems"] }).notNull(),
    status: text("status", { enum: MAILBOX_ITEM_STATUSES }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    attemptedIn: text("attempted_in"),
    lastError: text("last_error"),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.mailbox, t.graphId] }),
    index("mailbox_sync_items_execution_idx").on(t.orgId, t.executionId, t.folder, t.status),
  ],
);

/**
 * Imported mail. One row per (org, mailbox, Graph immutable id) whatever is redelivered; the body is
 * stored up to MAILBOX_BODY_MAX_CHARS characters (`body_truncated` says it was cut).
 */
export const importedMessages = sqliteTable(
  "imported_messages",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    mailbox: text("mailbox").notNull(),
    graphId: text("graph_id").notNull(),
    folder: text("folder", { enum: ["inbox", "sentitems"] }).notNull(),
    subject: text("subject"),
    fromAddress: text("from_address"),
    fromName: text("from_name"),
    toRecipients: text("to_recipients", { mode: "json" }).$type<{ address: string; name?: string }[]>().notNull(),
    ccRecipients: text("cc_recipients", { mode: "json" }).$type<{ address: string; name?: string }[]>().notNull(),
    receivedAt: text("received_at"),
    sentAt: text("sent_at"),
    /** received_at for inbox mail, sent_at for sent items: the order of the message list. */
    sortAt: text("sort_at").notNull(),
    conversationId: text("conversation_id"),
    bodyPreview: text("body_preview"),
    bodyContentType: text("body_content_type"),
    body: text("body"),
    bodyTruncated: integer("body_truncated", { mode: "boolean" }).notNull().default(false),
    /**
     * An HTML body as sanitized at import (services/mailboxes/message-bodies.ts), what the message list
     * serves while `body_sanitizer_version` is current; null for text bodies and for rows imported before
     * (those are sanitized when read). `body` keeps the original.
     */
    bodySanitized: text("body_sanitized"),
    bodySanitizedTruncated: integer("body_sanitized_truncated", { mode: "boolean" }).notNull().default(false),
    bodySanitizerVersion: text("body_sanitizer_version"),
    sharedInboxId: text("shared_inbox_id").notNull(),
    bucketId: text("bucket_id").notNull(),
    executionId: text("execution_id").notNull(),
    importedAt: text("imported_at").notNull(),
    /**
     * Graph's `lastModifiedDateTime` of the version stored: live sync applies a change only when it is
     * newer, so replayed or out-of-order delta pages never move a message back (null: not known).
     */
    graphModifiedAt: text("graph_modified_at"),
    /**
     * When live sync saw the message leave Inbox / Sent Items (deleted or moved elsewhere): the row stays
     * as a tombstone (its bodies dropped), listings skip it, and it comes back if the message returns.
     */
    deletedAt: text("deleted_at"),
    /**
     * Where the whole body lives (issue 12): `r2` — the original and its sanitized copy are objects in the
     * MESSAGE_STORE bucket under the message's key (services/message-store/keys.ts, built from org,
     * mailbox and Graph id), and `body` / `body_sanitized` are null; null — a row from before, whose body
     * is still in D1 (moved to R2 when it is first read).
     */
    bodyStore: text("body_store", { enum: ["r2"] }),
    /** Bytes (UTF-8) of the whole original body in the store; null for D1 bodies. */
    bodySize: integer("body_size"),
    /** Graph's `hasAttachments`: the message's attachments are listed in `message_attachments`. */
    hasAttachments: integer("has_attachments", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [
    uniqueIndex("imported_messages_org_mailbox_graph_uq").on(t.orgId, t.mailbox, t.graphId),
    index("imported_messages_org_inbox_sort_idx").on(t.orgId, t.sharedInboxId, t.sortAt, t.id),
  ],
);

export const ATTACHMENT_KINDS = ["file", "item", "reference"] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];
export const ATTACHMENT_STATES = ["stored", "skipped"] as const;
export type AttachmentState = (typeof ATTACHMENT_STATES)[number];

/**
 * The attachments of an imported message (issue 12): metadata only; the bytes of a `stored` file
 * attachment are the MESSAGE_STORE object `r2_key`, `sha256` the hex SHA-256 of those bytes. `id` is
 * derived from Graph's attachment id (services/message-store/keys.ts), so a redelivered import writes the
 * same row. Item and reference attachments, and files over MAILBOX_ATTACHMENT_MAX_BYTES, are `skipped`
 * with the reason. `message_id` is `imported_messages.id`.
 */
export const messageAttachments = sqliteTable(
  "message_attachments",
  {
    orgId: text("org_id").notNull(),
    messageId: text("message_id").notNull(),
    id: text("id").notNull(),
    name: text("name").notNull(),
    contentType: text("content_type"),
    size: integer("size").notNull(),
    contentId: text("content_id"),
    isInline: integer("is_inline", { mode: "boolean" }).notNull().default(false),
    kind: text("kind", { enum: ATTACHMENT_KINDS }).notNull(),
    state: text("state", { enum: ATTACHMENT_STATES }).notNull(),
    skippedReason: text("skipped_reason"),
    r2Key: text("r2_key"),
    sha256: text("sha256"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.messageId, t.id] })],
);

export type MessageAttachmentRow = typeof messageAttachments.$inferSelect;
export type OutlookMailboxRow = typeof outlookMailboxes.$inferSelect;
export type MailboxSyncExecutionRow = typeof mailboxSyncExecutions.$inferSelect;
export type ImportedMessageRow = typeof importedMessages.$inferSelect;

// ---------------------------------------------------------------------------------------------------
// Outbound webhooks (issue 13): endpoints, the transactional event outbox and one delivery per
// (event, endpoint). See src/services/webhooks/.

/**
 * A customer's webhook endpoint. The signing secret is stored only sealed (TOKEN_ENCRYPTION_KEYS, bound
 * to the endpoint); after a rotation the previous secret keeps signing until `previous_secret_expires_at`.
 * `event_types` null: every event type. `failing_since`: the first failed delivery since the last success.
 */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    url: text("url").notNull(),
    description: text("description"),
    eventTypes: text("event_types", { mode: "json" }).$type<string[] | null>(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    disabledReason: text("disabled_reason"),
    secretSealed: text("secret_sealed").notNull(),
    previousSecretSealed: text("previous_secret_sealed"),
    previousSecretExpiresAt: text("previous_secret_expires_at"),
    failingSince: text("failing_since"),
    ...auditColumns,
  },
  (t) => [index("webhook_endpoints_org_created_idx").on(t.orgId, t.createdAt)],
);

/**
 * The outbox: one row per event, written in the same `db.batch` as the state change it reports. `id` is
 * the `webhook-id` of every delivery of the event; `payload` is the exact JSON body that is signed and sent.
 */
export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    type: text("type").notNull(),
    payload: text("payload").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("webhook_events_org_created_idx").on(t.orgId, t.createdAt)],
);

export const WEBHOOK_DELIVERY_STATUSES = ["pending", "delivered", "failed", "cancelled"] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/**
 * One event to one endpoint: written with the event (fan-out inside the same batch), then sent through
 * the `webhook-deliveries` queue. `attempts` counts sends; `enqueued_at` is when the pending attempt was
 * handed to the queue (null: not yet, the dispatcher picks it up); `locked_until` is the lease of the
 * consumer sending it, so a duplicate queue message never sends the same attempt twice.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    eventId: text("event_id").notNull(),
    endpointId: text("endpoint_id").notNull(),
    eventType: text("event_type").notNull(),
    status: text("status", { enum: WEBHOOK_DELIVERY_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    lastResponseBody: text("last_response_body"),
    nextAttemptAt: text("next_attempt_at"),
    enqueuedAt: text("enqueued_at"),
    lockedUntil: text("locked_until"),
    deliveredAt: text("delivered_at"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_endpoint_event_uq").on(t.endpointId, t.eventId),
    index("webhook_deliveries_org_endpoint_created_idx").on(t.orgId, t.endpointId, t.createdAt, t.id),
    index("webhook_deliveries_pending_idx").on(t.status, t.nextAttemptAt),
  ],
);

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookEventRow = typeof webhookEvents.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
