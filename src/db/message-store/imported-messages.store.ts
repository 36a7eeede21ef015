import { and, asc, desc, eq, getTableColumns, gte, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import type { SearchFilters } from "@/db/mailbox-object";
import { importedMessages, messageAttachments } from "@/db/schema";
import type { AttachmentRecord } from "./attachments";
import { MAIL_SANITIZER_VERSION } from "./message-bodies";

/**
 * The statements of `imported_messages` and `message_attachments` that the message store, the import and
 * the mailbox feature run: the one INSERT of message rows from `json_each` (the import's pages and live
 * sync's delta pages), the attachment rows, the purge of a mailbox's rows, the move of legacy D1 bodies
 * into the store, the reads that tell a writer whether its objects have a row to claim them, and the reads
 * of a shared inbox's messages and their attachment rows (the shared-inbox-messages room).
 */

/**
 * The SET list of an upsert that replaces a stored row's message fields with the incoming copy and makes it
 * listed again (a tombstone revived). The row keeps its id, org, mailbox, inbox and bucket.
 */
const REFRESH_MESSAGE_ROW = `folder = excluded.folder, subject = excluded.subject,
  from_address = excluded.from_address, from_name = excluded.from_name, to_recipients = excluded.to_recipients,
  cc_recipients = excluded.cc_recipients, received_at = excluded.received_at, sent_at = excluded.sent_at,
  sort_at = excluded.sort_at, conversation_id = excluded.conversation_id, body_preview = excluded.body_preview,
  body_content_type = excluded.body_content_type, body = excluded.body, body_truncated = excluded.body_truncated,
  body_sanitized = excluded.body_sanitized, body_sanitized_truncated = excluded.body_sanitized_truncated,
  body_sanitizer_version = excluded.body_sanitizer_version, graph_modified_at = excluded.graph_modified_at,
  body_store = excluded.body_store, body_size = excluded.body_size, has_attachments = excluded.has_attachments,
  deleted_at = NULL`;

/**
 * The one INSERT of message rows from `json_each` (the import's pages and live sync's delta pages): each
 * row gets the mailbox mapping's shared inbox and that inbox's bucket; a row already stored is refreshed
 * with the incoming copy only `refreshWhen`. Parameters ?1 org and ?2 mailbox; the others are the caller's
 * (`params`: placeholders of the execution id, the import time and the rows' JSON).
 */
export function insertMessageRows(
  params: { execution: string; importedAt: string; rows: string },
  where: string,
  refreshWhen: string,
): string {
  return `INSERT INTO imported_messages (id, org_id, mailbox, graph_id, folder, subject, from_address,
  from_name, to_recipients, cc_recipients, received_at, sent_at, sort_at, conversation_id, body_preview,
  body_content_type, body, body_truncated, body_sanitized, body_sanitized_truncated, body_sanitizer_version,
  shared_inbox_id, bucket_id, execution_id, imported_at, graph_modified_at, body_store, body_size, has_attachments)
SELECT j.value ->> '$.uid', ?1, ?2, j.value ->> '$.graph_id', j.value ->> '$.folder', j.value ->> '$.subject',
  j.value ->> '$.from_address', j.value ->> '$.from_name', j.value ->> '$.to', j.value ->> '$.cc',
  j.value ->> '$.received_at', j.value ->> '$.sent_at', j.value ->> '$.sort_at', j.value ->> '$.conversation_id',
  j.value ->> '$.body_preview', j.value ->> '$.body_content_type', j.value ->> '$.body', j.value ->> '$.body_truncated',
  j.value ->> '$.body_sanitized', j.value ->> '$.body_sanitized_truncated', j.value ->> '$.body_sanitizer_version',
  m.shared_inbox_id,
  COALESCE((SELECT b.id FROM inbox_buckets b WHERE b.org_id = ?1 AND b.inbox_id = m.shared_inbox_id), 'default'),
  ${params.execution}, ${params.importedAt}, j.value ->> '$.graph_modified_at', j.value ->> '$.body_store',
  j.value ->> '$.body_size', j.value ->> '$.has_attachments'
FROM json_each(${params.rows}) AS j
JOIN outlook_mailboxes m ON m.org_id = ?1 AND m.email = ?2
WHERE ${where}
ON CONFLICT (org_id, mailbox, graph_id) DO UPDATE SET
  ${REFRESH_MESSAGE_ROW}
WHERE ${refreshWhen}`;
}

/**
 * A message that has a row already is left as it is (a redelivered page, or live sync's newer copy), except a
 * tombstone older than the page (?7): the message was deleted and is back (restored), so the page's copy
 * revives it, keeping its id. A tombstone newer than the page stays one (the page's copy is stale).
 */
const IMPORT_REFRESH_WHEN = "imported_messages.deleted_at IS NOT NULL AND imported_messages.deleted_at < ?7";

/** What an import page's insert binds: ?1 org, ?2 mailbox, ?3 execution, ?4 token, ?5 now, ?6 rows, ?7 read at. */
export interface ImportedRowsBinding {
  orgId: string;
  mailbox: string;
  executionId: string;
  token: number;
  now: string;
  json: string;
  readAt: string;
}

/**
 * The import's insert of one chunk of a page's rows, written only `where` (the import's guard over the
 * parameters of ImportedRowsBinding; sync/import-writer.ts).
 */
export function insertImportedRows(d1: D1Database, where: string, b: ImportedRowsBinding): D1PreparedStatement {
  return d1
    .prepare(insertMessageRows({ execution: "?3", importedAt: "?5", rows: "?6" }, where, IMPORT_REFRESH_WHEN))
    .bind(b.orgId, b.mailbox, b.executionId, b.token, b.now, b.json, b.readAt);
}

// ---------------------------------------------------------------------------------------------------
// Live sync (mailboxes feature, live/writer.ts and its helpers)

/**
 * Live sync's upsert of a delta page's rows: a known row is refreshed only when Graph's version is newer
 * than the stored one (or equal with another folder, a move, or the row a tombstone), so replayed and
 * out-of-order pages never move a message back.
 */
// ?1 org, ?2 mailbox, ?3 execution id of the live run, ?4 now, ?5 rows (JSON)
const LIVE_UPSERT = insertMessageRows(
  { execution: "?3", importedAt: "?4", rows: "?5" },
  "true",
  `excluded.graph_modified_at IS NULL OR imported_messages.graph_modified_at IS NULL
  OR excluded.graph_modified_at > imported_messages.graph_modified_at
  OR (excluded.graph_modified_at = imported_messages.graph_modified_at
      AND (excluded.folder <> imported_messages.folder OR imported_messages.deleted_at IS NOT NULL))`,
);

/** The upsert of one JSON chunk of a delta page's rows (`executionId`: the live run's, `live:<run>`). */
export function upsertLiveRows(
  d1: D1Database,
  scope: { orgId: string; mailbox: string },
  executionId: string,
  now: string,
  json: string,
): D1PreparedStatement {
  return d1.prepare(LIVE_UPSERT).bind(scope.orgId, scope.mailbox, executionId, now, json);
}

/**
 * Removed messages become tombstones (bodies and preview dropped), only while still in the folder that
 * reported the removal and while the mailbox mapping exists; answers (RETURNING) the Graph ids it tombstoned.
 */
// ?1 org, ?2 mailbox, ?3 folder, ?4 now, ?5 ids (JSON)
const REMOVE = `UPDATE imported_messages SET deleted_at = ?4, body = NULL, body_sanitized = NULL, body_preview = NULL
WHERE org_id = ?1 AND mailbox = ?2 AND folder = ?3 AND deleted_at IS NULL
  AND graph_id IN (SELECT value FROM json_each(?5))
  AND EXISTS (SELECT 1 FROM outlook_mailboxes m WHERE m.org_id = ?1 AND m.email = ?2)
RETURNING graph_id`;

/** The tombstoning of one JSON chunk of Graph ids removed from `folder`. */
export function tombstoneRemovedRows(
  d1: D1Database,
  scope: { orgId: string; mailbox: string; folder: string },
  now: string,
  json: string,
): D1PreparedStatement {
  return d1.prepare(REMOVE).bind(scope.orgId, scope.mailbox, scope.folder, now, json);
}

/**
 * Worth a lookup in Graph (live/removals.ts): a removed message stored in this folder that was received
 * before the live window, and while an import runs any removed message without a row.
 */
// ?1 org, ?2 mailbox, ?3 folder, ?4 ids (JSON), ?5 live window start (ISO or NULL)
const WORTH_A_LOOKUP = `SELECT j.value AS graph_id FROM json_each(?4) AS j
WHERE EXISTS (SELECT 1 FROM imported_messages im WHERE im.org_id = ?1 AND im.mailbox = ?2
    AND im.graph_id = j.value AND im.folder = ?3 AND im.deleted_at IS NULL
    AND (?5 IS NULL OR julianday(im.received_at) IS NULL OR julianday(im.received_at) < julianday(?5)))
  OR (NOT EXISTS (SELECT 1 FROM imported_messages im WHERE im.org_id = ?1 AND im.mailbox = ?2
        AND im.graph_id = j.value)
      AND EXISTS (SELECT 1 FROM mailbox_sync_executions e WHERE e.org_id = ?1 AND e.mailbox = ?2
        AND e.status = 'RUNNING'))`;

/** The removed Graph ids (`removed`) worth a lookup in Graph (see WORTH_A_LOOKUP). */
export async function removalsWorthALookup(
  d1: D1Database,
  scope: { orgId: string; mailbox: string; folder: string; windowStart?: string },
  removed: string[],
): Promise<{ graph_id: string }[]> {
  const { results } = await d1
    .prepare(WORTH_A_LOOKUP)
    .bind(scope.orgId, scope.mailbox, scope.folder, JSON.stringify(removed), scope.windowStart ?? null)
    .all<{ graph_id: string }>();
  return results;
}

// ?1 org, ?2 mailbox, ?3 folder, ?4 round, ?5 Graph ids (JSON)
const MARK = `UPDATE imported_messages SET live_seen_round = ?4
WHERE org_id = ?1 AND mailbox = ?2 AND folder = ?3 AND graph_id IN (SELECT value FROM json_each(?5))`;

/** A resync round's mark on the rows of one JSON chunk of Graph ids its page lists (live/resync-sweep.ts). */
export function markSeenInRound(
  d1: D1Database,
  scope: { orgId: string; mailbox: string; folder: string },
  round: string,
  json: string,
): D1PreparedStatement {
  return d1.prepare(MARK).bind(scope.orgId, scope.mailbox, scope.folder, round, json);
}

// ?1 org, ?2 mailbox, ?3 folder, ?4 round, ?5 window start, ?6 round start, ?7 now
const SWEEP = `UPDATE imported_messages SET deleted_at = ?7, body = NULL, body_sanitized = NULL, body_preview = NULL
WHERE org_id = ?1 AND mailbox = ?2 AND folder = ?3 AND deleted_at IS NULL
  AND received_at >= ?5 AND received_at <= ?6 AND imported_at <= ?6
  AND live_seen_round IS NOT ?4
  AND EXISTS (SELECT 1 FROM outlook_mailboxes m WHERE m.org_id = ?1 AND m.email = ?2)
RETURNING graph_id`;

/**
 * At a resync round's deltaLink: tombstones every listed row of the folder received in the round's window
 * (`since` to `startedAt`) that the round did not mark; answers (RETURNING) the Graph ids it tombstoned.
 */
export function sweepUnseenRows(
  d1: D1Database,
  scope: { orgId: string; mailbox: string; folder: string },
  round: { round: string; since: string; startedAt: string },
  now: string,
): D1PreparedStatement {
  return d1
    .prepare(SWEEP)
    .bind(scope.orgId, scope.mailbox, scope.folder, round.round, round.since, round.startedAt, now);
}

/** Whether the message has a row (a tombstone too). */
export async function hasMessageRow(d1: D1Database, orgId: string, mailbox: string, graphId: string) {
  return !!(await d1
    .prepare("SELECT 1 AS found FROM imported_messages WHERE org_id = ? AND mailbox = ? AND graph_id = ?")
    .bind(orgId, mailbox, graphId)
    .first());
}

/** The Graph ids among `graphIds` that have no row of the mailbox, or only a tombstone. */
export async function graphIdsWithoutRow(
  d1: D1Database,
  orgId: string,
  mailbox: string,
  graphIds: string[],
): Promise<string[]> {
  const { results } = await d1
    .prepare(
      `SELECT j.value AS graph_id FROM json_each(?3) AS j WHERE NOT EXISTS (
       SELECT 1 FROM imported_messages m WHERE m.org_id = ?1 AND m.mailbox = ?2 AND m.graph_id = j.value
         AND m.deleted_at IS NULL)`,
    )
    .bind(orgId, mailbox, JSON.stringify(graphIds))
    .all<{ graph_id: string }>();
  return results.map((r) => r.graph_id);
}

// ---------------------------------------------------------------------------------------------------
// Bodies from before the message store (still in D1)

/** A row whose body is still in D1, as the backfill reads it. */
export interface LegacyRow {
  id: string;
  org_id: string;
  mailbox: string;
  graph_id: string;
  body_content_type: string | null;
  body: string;
  graph_modified_at: string | null;
}

// Any order drains them; the partial index (imported_messages_legacy_body_idx) answers without a table scan.
const LEGACY_ROWS = `SELECT id, org_id, mailbox, graph_id, body_content_type, body, graph_modified_at
  FROM imported_messages WHERE body_store IS NULL AND body IS NOT NULL LIMIT ?1`;

/** Up to `limit` rows whose body is still in D1. */
export async function legacyBodyRows(d1: D1Database, limit: number): Promise<LegacyRow[]> {
  const { results } = await d1.prepare(LEGACY_ROWS).bind(limit).all<LegacyRow>();
  return results;
}

/**
 * Points a row at its body in the store (`size` bytes) and drops its D1 copies, only if it still holds
 * `body` (the body that was copied); answers whether it did.
 */
export async function pointRowAtStoredBody(
  d1: D1Database,
  row: { orgId: string; id: string; body: string },
  size: number,
): Promise<boolean> {
  const result = await d1
    .prepare(
      `UPDATE imported_messages SET body_store = 'r2', body_size = ?3, body = NULL, body_sanitized = NULL,
         body_sanitizer_version = NULL, body_sanitized_truncated = 0
       WHERE org_id = ?1 AND id = ?2 AND body_store IS NULL AND body = ?4`,
    )
    .bind(row.orgId, row.id, size, row.body)
    .run();
  return result.meta.changes > 0;
}

// ---------------------------------------------------------------------------------------------------
// Attachment rows

// ?1 org, ?2 mailbox, ?3 now, ?4 rows (JSON)
const UPSERT_ATTACHMENTS = `INSERT INTO message_attachments (org_id, message_id, id, name, content_type, size,
  content_id, is_inline, kind, state, skipped_reason, r2_key, sha256, created_at)
SELECT ?1, m.id, j.value ->> '$.id', j.value ->> '$.name', j.value ->> '$.content_type', j.value ->> '$.size',
  j.value ->> '$.content_id', j.value ->> '$.is_inline', j.value ->> '$.kind', j.value ->> '$.state',
  j.value ->> '$.skipped_reason', j.value ->> '$.r2_key', j.value ->> '$.sha256', ?3
FROM json_each(?4) AS j
JOIN imported_messages m ON m.org_id = ?1 AND m.mailbox = ?2 AND m.graph_id = j.value ->> '$.graph_id'
  AND m.deleted_at IS NULL
WHERE true
ON CONFLICT (org_id, message_id, id) DO UPDATE SET
  name = excluded.name, content_type = excluded.content_type, size = excluded.size,
  content_id = excluded.content_id, is_inline = excluded.is_inline, kind = excluded.kind, state = excluded.state,
  skipped_reason = excluded.skipped_reason, r2_key = excluded.r2_key, sha256 = excluded.sha256`;

const MAX_CHUNK_ROWS = 100;

/**
 * Statements that store the attachment rows (after the statements that insert their messages). They are
 * found by org, mailbox and Graph id, so they attach to whichever row the message has, never to a
 * tombstone: a stale import page of a message deleted meanwhile attaches nothing.
 */
export function attachmentStatements(
  d1: D1Database,
  scope: { orgId: string; mailbox: string },
  records: AttachmentRecord[],
): D1PreparedStatement[] {
  const now = new Date().toISOString();
  const out: D1PreparedStatement[] = [];
  for (let i = 0; i < records.length; i += MAX_CHUNK_ROWS) {
    const json = JSON.stringify(records.slice(i, i + MAX_CHUNK_ROWS));
    out.push(d1.prepare(UPSERT_ATTACHMENTS).bind(scope.orgId, scope.mailbox, now, json));
  }
  return out;
}

/** Deletes the attachment rows of the mailbox's messages `graphIds`. */
export async function deleteAttachmentRows(
  d1: D1Database,
  orgId: string,
  mailbox: string,
  graphIds: string[],
): Promise<void> {
  await d1
    .prepare(
      `DELETE FROM message_attachments WHERE org_id = ?1 AND message_id IN (
          SELECT id FROM imported_messages WHERE org_id = ?1 AND mailbox = ?2
            AND graph_id IN (SELECT value FROM json_each(?3)))`,
    )
    .bind(orgId, mailbox, JSON.stringify(graphIds))
    .run();
}

// ---------------------------------------------------------------------------------------------------
// Purge

/**
 * ?1 org, ?2 mailbox (absent: every mailbox of the org), ?3 chunk size. Both statements of a chunk's batch
 * use the same subquery, ordered along the (org, mailbox, graph id) unique index: the attachment rows of
 * exactly the messages deleted right after, and no scan beyond the chunk.
 */
const purgeChunk = (mailbox: boolean) =>
  `SELECT id FROM imported_messages WHERE org_id = ?1 ${mailbox ? "AND mailbox = ?2" : "AND ?2 IS NULL"}
   ORDER BY org_id, mailbox, graph_id LIMIT ?3`;

/**
 * Deletes up to `rows` messages of the org's mailbox (or of all its mailboxes) with their attachment rows,
 * in one transaction; answers how many message rows went.
 */
export async function deleteMessageChunk(
  d1: D1Database,
  orgId: string,
  mailbox: string | undefined,
  rows: number,
): Promise<number> {
  const bind = (query: string) => d1.prepare(query).bind(orgId, mailbox ?? null, rows);
  const chunk = purgeChunk(mailbox !== undefined);
  const [, deleted] = await d1.batch([
    bind(`DELETE FROM message_attachments WHERE org_id = ?1 AND message_id IN (${chunk})`),
    bind(`DELETE FROM imported_messages WHERE org_id = ?1 AND id IN (${chunk})`),
  ]);
  return deleted?.meta.changes ?? 0;
}

// ---------------------------------------------------------------------------------------------------
// Inboxes

/**
 * For deleteSharedInbox's batch: the org's messages of the deleted inbox move to the successor inbox and
 * its bucket (`default` for the default inbox).
 */
export function moveMessagesToInbox(db: Database, orgId: string, fromInboxId: string, toInboxId: string) {
  return db
    .update(importedMessages)
    .set({
      sharedInboxId: toInboxId,
      bucketId: sql`COALESCE((SELECT id FROM inbox_buckets WHERE org_id = ${orgId} AND inbox_id = ${toInboxId}), 'default')`,
    })
    .where(and(eq(importedMessages.orgId, orgId), eq(importedMessages.sharedInboxId, fromInboxId)));
}

// ---------------------------------------------------------------------------------------------------
// Reads of a shared inbox's messages (the shared-inbox-messages room)

const { body, bodySanitized, bodySanitizedTruncated, bodySanitizerVersion, ...listedColumns } =
  getTableColumns(importedMessages);

/**
 * One page of the inbox's listed messages (no bodies: the listing serves previews), newest first, below the
 * keyset `after` ([sort time, id] of the previous page's last row), at most `limit` rows, within `filters` (a
 * search's filters, which D1's rows answer too; they have no search index).
 */
export function listInboxPage(
  db: Database,
  orgId: string,
  inboxId: string,
  limit: number,
  after?: [string, string],
  filters: SearchFilters = {},
) {
  return db
    .select(listedColumns)
    .from(importedMessages)
    .where(
      and(
        eq(importedMessages.orgId, orgId),
        eq(importedMessages.sharedInboxId, inboxId),
        // A message live sync saw leave Inbox / Sent Items is a tombstone: not listed.
        isNull(importedMessages.deletedAt),
        after
          ? or(
              lt(importedMessages.sortAt, after[0]),
              and(eq(importedMessages.sortAt, after[0]), lt(importedMessages.id, after[1])),
            )
          : undefined,
        filters.folder ? eq(importedMessages.folder, filters.folder) : undefined,
        filters.from ? eq(importedMessages.fromAddress, filters.from) : undefined,
        filters.receivedAfter ? gte(importedMessages.receivedAt, filters.receivedAfter) : undefined,
        filters.receivedBefore ? lt(importedMessages.receivedAt, filters.receivedBefore) : undefined,
        filters.hasAttachments === undefined ? undefined : eq(importedMessages.hasAttachments, filters.hasAttachments),
      ),
    )
    .orderBy(desc(importedMessages.sortAt), desc(importedMessages.id))
    .limit(limit)
    .all();
}

export type ListedInboxMessage = Awaited<ReturnType<typeof listInboxPage>>[number];

/** The org's live (not deleted) message of that inbox, if any. */
export function findInboxMessageRow(db: Database, orgId: string, inboxId: string, messageId: string) {
  return db
    .select()
    .from(importedMessages)
    .where(
      and(
        eq(importedMessages.orgId, orgId),
        eq(importedMessages.sharedInboxId, inboxId),
        eq(importedMessages.id, messageId),
        isNull(importedMessages.deletedAt),
      ),
    )
    .get();
}

/** The attachment rows of the org's message, oldest first. */
export function listMessageAttachments(db: Database, orgId: string, messageId: string) {
  return db
    .select()
    .from(messageAttachments)
    .where(and(eq(messageAttachments.orgId, orgId), eq(messageAttachments.messageId, messageId)))
    .orderBy(asc(messageAttachments.createdAt), asc(messageAttachments.id))
    .all();
}

/** One attachment row of the org's message, if any. */
export function findMessageAttachment(db: Database, orgId: string, messageId: string, attachmentId: string) {
  return db
    .select()
    .from(messageAttachments)
    .where(
      and(
        eq(messageAttachments.orgId, orgId),
        eq(messageAttachments.messageId, messageId),
        eq(messageAttachments.id, attachmentId),
      ),
    )
    .get();
}

// ---------------------------------------------------------------------------------------------------
// The move into the mailbox's Durable Object

/** D1's message columns as the mailbox object takes them over (JSON columns as their text, booleans 0/1). */
const MOVED_COLUMNS = `id, graph_id, folder, subject, from_address, from_name, to_recipients, cc_recipients,
  received_at, sent_at, sort_at, conversation_id, body_preview, body_content_type, body_truncated, body_size,
  has_attachments, execution_id, imported_at, graph_modified_at, deleted_at, live_seen_round`;

/** A message row of D1 as the move reads it, and whether its body is still in D1 (moved to R2 first). */
export type MovingMessageRow = Record<string, SqlStorageValue> & {
  id: string;
  graph_id: string;
  legacy_body: number;
};

/**
 * The mailbox's rows for the move: the next `limit` after Graph id `after` (in the unique index's order), or
 * the rows of the given Graph ids (a page touching them while the mailbox moves).
 */
export async function rowsToMove(
  d1: D1Database,
  scope: { orgId: string; mailbox: string },
  select: { after: string; limit: number } | { graphIds: string[] },
): Promise<MovingMessageRow[]> {
  const legacy = "(body_store IS NULL AND body IS NOT NULL) AS legacy_body";
  const statement =
    "graphIds" in select
      ? d1
          .prepare(
            `SELECT ${MOVED_COLUMNS}, ${legacy} FROM imported_messages WHERE org_id = ?1 AND mailbox = ?2
             AND graph_id IN (SELECT value FROM json_each(?3))`,
          )
          .bind(scope.orgId, scope.mailbox, JSON.stringify(select.graphIds))
      : d1
          .prepare(
            `SELECT ${MOVED_COLUMNS}, ${legacy} FROM imported_messages WHERE org_id = ?1 AND mailbox = ?2
             AND graph_id > ?3 ORDER BY graph_id LIMIT ?4`,
          )
          .bind(scope.orgId, scope.mailbox, select.after, select.limit);
  const { results } = await statement.all<MovingMessageRow>();
  return results;
}

/** The attachment rows of the org's messages `ids` (D1's column names, without the org). */
export async function attachmentRowsToMove(d1: D1Database, orgId: string, ids: string[]) {
  const { results } = await d1
    .prepare(
      `SELECT message_id, id, name, content_type, size, content_id, is_inline, kind, state, skipped_reason, r2_key,
         sha256, created_at
       FROM message_attachments WHERE org_id = ?1 AND message_id IN (SELECT value FROM json_each(?2))`,
    )
    .bind(orgId, JSON.stringify(ids))
    .all<Record<string, SqlStorageValue> & { message_id: string }>();
  return results;
}

/** Rows moved (the object holds them, checked): D1 lets go of them and of their attachment rows. */
export async function deleteMovedRows(d1: D1Database, orgId: string, mailbox: string, ids: string[]) {
  const json = JSON.stringify(ids);
  await d1.batch([
    d1
      .prepare("DELETE FROM message_attachments WHERE org_id = ?1 AND message_id IN (SELECT value FROM json_each(?2))")
      .bind(orgId, json),
    d1
      .prepare(
        "DELETE FROM imported_messages WHERE org_id = ?1 AND mailbox = ?2 AND id IN (SELECT value FROM json_each(?3))",
      )
      .bind(orgId, mailbox, json),
  ]);
}

/** Whether any of the mailbox's mail is still in D1. */
export async function hasRowsInD1(d1: D1Database, orgId: string, mailbox: string): Promise<boolean> {
  return !!(await d1
    .prepare("SELECT 1 AS found FROM imported_messages WHERE org_id = ?1 AND mailbox = ?2 LIMIT 1")
    .bind(orgId, mailbox)
    .first());
}

/** The next mailbox (after `after`, in index order) with mail in D1 and no directory row: the move's work. */
export async function nextMailboxInD1(
  d1: D1Database,
  after: { orgId: string; mailbox: string } | null,
): Promise<{ org_id: string; mailbox: string; shared_inbox_id: string } | null> {
  return d1
    .prepare(
      `SELECT org_id, mailbox, shared_inbox_id FROM imported_messages
       WHERE (org_id, mailbox) > (?1, ?2) ORDER BY org_id, mailbox LIMIT 1`,
    )
    .bind(after?.orgId ?? "", after?.mailbox ?? "")
    .first();
}

/** The org's rows among `ids` whose body is still in D1 (moved to R2 before their row moves). */
export async function legacyBodiesOf(d1: D1Database, orgId: string, ids: string[]): Promise<LegacyRow[]> {
  const { results } = await d1
    .prepare(
      `SELECT id, org_id, mailbox, graph_id, body_content_type, body, graph_modified_at FROM imported_messages
       WHERE org_id = ?1 AND id IN (SELECT value FROM json_each(?2)) AND body_store IS NULL AND body IS NOT NULL`,
    )
    .bind(orgId, JSON.stringify(ids))
    .all<LegacyRow>();
  return results;
}

/**
 * The first statement of a D1 write of a mailbox's mail: it fails (and so rolls back the whole batch) once the
 * mailbox has a directory row, i.e. its mail has started moving into its Durable Object, so no D1 write lands
 * behind the move. SQLite's json() raises on text that is not JSON: the only way a plain statement can abort.
 */
export function stillInD1Statement(d1: D1Database, scope: { orgId: string; mailbox: string }): D1PreparedStatement {
  return d1
    .prepare(
      `SELECT CASE WHEN EXISTS (SELECT 1 FROM mailbox_stores WHERE org_id = ?1 AND mailbox = ?2)
         THEN json('mailbox moved to its object') END AS moved`,
    )
    .bind(scope.orgId, scope.mailbox);
}
