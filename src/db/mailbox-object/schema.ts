import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/*
 * The schema of one mailbox's Durable Object (SQLite storage, one object per org and mailbox address): the
 * mailbox's message index. The object is named by org and address, so no row carries them; `store_meta`
 * records whom the object belongs to and every call checks it. Content (bodies, attachment bytes) stays in
 * R2 under the keys of src/db/message-store/keys.ts. Migrations: drizzle-kit with the durable-sqlite driver
 * (drizzle.mailbox.config.ts), applied by the object on first use; they must stay backward compatible, as
 * objects upgrade one by one when they are next used.
 */

/** One value per key: `org_id`, `mailbox`, the mailbox key message ids carry, the move from D1. */
export const storeMeta = sqliteTable("store_meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

/**
 * One row per Graph message of the mailbox (immutable id), whatever is redelivered. `id` is the message id
 * clients keep for life: ids issued before the move into the object keep their value. Columns as in D1's
 * `imported_messages` (src/db/schema/mailboxes.ts), without the org, mailbox, inbox and bucket (the
 * object's own, or the mailbox directory's in D1) and without D1-era body columns (bodies are in R2).
 */
export const messages = sqliteTable(
  "messages",
  {
    id: text("id").primaryKey(),
    graphId: text("graph_id").notNull().unique(),
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
    bodyTruncated: integer("body_truncated", { mode: "boolean" }).notNull().default(false),
    /** Bytes (UTF-8) of the whole original body in R2. */
    bodySize: integer("body_size"),
    hasAttachments: integer("has_attachments", { mode: "boolean" }).notNull().default(false),
    executionId: text("execution_id").notNull(),
    importedAt: text("imported_at").notNull(),
    /** Graph's `lastModifiedDateTime` of the version stored: a change is applied only when newer. */
    graphModifiedAt: text("graph_modified_at"),
    /** When live sync saw the message leave Inbox / Sent Items: a tombstone, not listed, revived if it returns. */
    deletedAt: text("deleted_at"),
    /** The last resync round that reported the message present (see imported_messages.live_seen_round). */
    liveSeenRound: text("live_seen_round"),
    /** The message's row in the full-text index `message_search` (its rowid; assigned when the row is written). */
    searchRowid: integer("search_rowid"),
    /** 1 once the message's text is in `message_search`; 0 for a row moved in (indexed from R2 by the alarm). */
    searchIndexed: integer("search_indexed").notNull().default(0),
  },
  (t) => [
    // The listing: newest first, keyset (sort_at, id), tombstones left out of the index itself.
    index("messages_listing_idx").on(t.sortAt, t.id).where(sql`${t.deletedAt} IS NULL`),
    index("messages_folder_idx").on(t.folder, t.sortAt),
    uniqueIndex("messages_search_rowid_idx").on(t.searchRowid),
    // What the alarm still has to index (rows moved in, rows from before the index).
    index("messages_search_backlog_idx")
      .on(t.searchIndexed)
      .where(sql`${t.searchIndexed} = 0 AND ${t.deletedAt} IS NULL`),
  ],
);

export const ATTACHMENT_KINDS = ["file", "item", "reference"] as const;
export const ATTACHMENT_STATES = ["stored", "skipped"] as const;

/** A message's attachments: metadata; a stored file's bytes are the R2 object `r2_key`. */
export const attachments = sqliteTable(
  "attachments",
  {
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
  (t) => [primaryKey({ columns: [t.messageId, t.id] })],
);

export const IMPORT_ITEM_STATUSES = ["PENDING", "IMPORTED", "FAILED", "PERMANENTLY_FAILED", "REMOVED"] as const;

/** Import state of one Graph message (see D1's mailbox_sync_items): which execution handles it, attempts. */
export const importItems = sqliteTable(
  "import_items",
  {
    graphId: text("graph_id").primaryKey(),
    executionId: text("execution_id").notNull(),
    folder: text("folder", { enum: ["inbox", "sentitems"] }).notNull(),
    status: text("status", { enum: IMPORT_ITEM_STATUSES }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    attemptedIn: text("attempted_in"),
    lastError: text("last_error"),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("import_items_execution_idx").on(t.executionId, t.folder, t.status)],
);

/**
 * Message events written in the same transaction as the rows they describe, until the relay has handed them
 * to the webhook pipeline in D1 (idempotently by `id`, the event id), which deletes them here.
 */
export const messageEvents = sqliteTable("message_events", {
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  /** The event's JSON payload (`{"type","timestamp","data"}`). */
  payload: text("payload").notNull(),
  createdAt: text("created_at").notNull(),
});

export type MessageRow = typeof messages.$inferSelect;
export type AttachmentRow = typeof attachments.$inferSelect;
export type ImportItemRow = typeof importItems.$inferSelect;
