import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Outlook mailboxes and the mail import pipeline.

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

/**
 * REMOVED: live sync saw the message leave its folder (deleted or moved away) while an import ran and before
 * the import wrote it; the import then does not write it from that folder (import-writer.ts). Not counted.
 */
export const MAILBOX_ITEM_STATUSES = ["PENDING", "IMPORTED", "FAILED", "PERMANENTLY_FAILED", "REMOVED"] as const;
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
     * An HTML body as sanitized at import (src/db/message-store/message-bodies.ts), what the message list
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
     * Where the whole body lives: `r2` — the original and its sanitized copy are objects in the
     * MESSAGE_STORE bucket under the message's key (src/db/message-store/keys.ts, built from org,
     * mailbox and Graph id), and `body` / `body_sanitized` are null; null — a row from before, whose body
     * is still in D1 (moved to R2 when it is first read).
     */
    bodyStore: text("body_store", { enum: ["r2"] }),
    /** Bytes (UTF-8) of the whole original body in the store; null for D1 bodies. */
    bodySize: integer("body_size"),
    /** Graph's `hasAttachments`: the message's attachments are listed in `message_attachments`. */
    hasAttachments: integer("has_attachments", { mode: "boolean" }).notNull().default(false),
    /**
     * The last resync round (after an expired delta token) that reported the message present: at the
     * round's end, the rows of its folder and window not marked with it are tombstoned (deleted at Graph
     * while the token was expired). Null: no resync round saw it.
     */
    liveSeenRound: text("live_seen_round"),
  },
  (t) => [
    uniqueIndex("imported_messages_org_mailbox_graph_uq").on(t.orgId, t.mailbox, t.graphId),
    index("imported_messages_org_inbox_sort_idx").on(t.orgId, t.sharedInboxId, t.sortAt, t.id),
    /**
     * The rows whose body is still in D1 (from before the message store), for the hourly backfill that
     * moves them to R2 (src/db/message-store/backfill.ts). Partial: rows imported since have no entry,
     * so it costs nothing once the backfill has drained it.
     */
    index("imported_messages_legacy_body_idx").on(t.id).where(sql`${t.bodyStore} IS NULL AND ${t.body} IS NOT NULL`),
  ],
);

export const ATTACHMENT_KINDS = ["file", "item", "reference"] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];
export const ATTACHMENT_STATES = ["stored", "skipped"] as const;
export type AttachmentState = (typeof ATTACHMENT_STATES)[number];

/**
 * The attachments of an imported message: metadata only; the bytes of a `stored` file
 * attachment are the MESSAGE_STORE object `r2_key`, `sha256` the hex SHA-256 of those bytes. `id` is
 * derived from Graph's attachment id (src/db/message-store/keys.ts), so a redelivered import writes the
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

export const MAILBOX_STORE_STATES = ["moving", "object"] as const;
export type MailboxStoreState = (typeof MAILBOX_STORE_STATES)[number];

/**
 * Where a mailbox's mail is: a row per mailbox whose messages live in its Durable Object (`object`), or are
 * being moved there from `imported_messages` (`moving`: some rows in each, the object's copy wins). A mailbox
 * without a row keeps its mail in D1 (from before the objects; the move picks it up). The row outlives a
 * disconnect while the mailbox's mail is kept, and names the shared inbox the mail is listed in, so deleting
 * or merging an inbox changes one row per mailbox, not one per message.
 */
export const mailboxStores = sqliteTable(
  "mailbox_stores",
  {
    orgId: text("org_id").notNull(),
    /** Lowercased address of the mailbox. */
    mailbox: text("mailbox").notNull(),
    sharedInboxId: text("shared_inbox_id").notNull(),
    state: text("state", { enum: MAILBOX_STORE_STATES }).notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.mailbox] }),
    index("mailbox_stores_org_inbox_idx").on(t.orgId, t.sharedInboxId),
  ],
);

export type MailboxStoreRow = typeof mailboxStores.$inferSelect;
