import type { ImportRow, SyncFolder } from "@/clients/graph/mail";
import type { AttachmentRecord, StoredBodyColumns } from "@/db/message-store";
import { attachmentStatements } from "@/db/message-store";
import { messageReceivedStatements } from "../message-events";
import { insertMessageRows } from "../message-row-sql";
import { jsonChunks } from "./json-chunks";

/**
 * D1 writes of the import. Rows travel as one JSON parameter per statement (`json_each`), so a page of
 * messages is a handful of statements whatever its size and no statement comes near D1's 100 bound
 * parameters. Every statement carries the fencing guard: it writes only while the execution is RUNNING
 * and both it and the mailbox carry the lease's token, so a consumer of an expired (or cancelled) lease
 * writes nothing. The statements of one call are one `db.batch` transaction.
 */

export interface ImportContext {
  orgId: string;
  mailbox: string;
  executionId: string;
  token: number;
}

/**
 * An imported message as D1 stores it: the converted Graph message's metadata; its whole body (and the
 * sanitized copy) and attachments are in the message store (services/message-store), not in the row.
 */
export type StoredMessage = Omit<ImportRow, keyof StoredBodyColumns> & StoredBodyColumns;

export interface ItemOutcome {
  graph_id: string;
  folder: SyncFolder;
  /** Absent when the message was imported. */
  error?: string;
}

// ?1 org, ?2 mailbox, ?3 execution, ?4 token
const CURRENT = `mailbox_sync_executions e
  JOIN outlook_mailboxes m ON m.org_id = e.org_id AND m.email = e.mailbox
  WHERE e.org_id = ?1 AND e.id = ?3 AND e.mailbox = ?2 AND e.status = 'RUNNING'
    AND e.fencing_token = ?4 AND m.sync_fencing_token = ?4`;
const GUARD = `EXISTS (SELECT 1 FROM ${CURRENT})`;

/**
 * Live sync saw the page's message leave this folder after the import read the page (?7; live/writer.ts
 * records it as a REMOVED item while an import runs): the page's copy is stale, so it is not written. A
 * removal recorded before the page was read (the message was back by then) and a removal from another
 * folder (moved here) do not stop it.
 */
const REMOVED_FROM_FOLDER = `EXISTS (SELECT 1 FROM mailbox_sync_items r WHERE r.org_id = ?1 AND r.mailbox = ?2
  AND r.graph_id = j.value ->> '$.graph_id' AND r.status = 'REMOVED' AND r.folder = j.value ->> '$.folder'
  AND r.updated_at >= ?7)`;

/**
 * A message that has a row already is left as it is (a redelivered page, or live sync's newer copy), except a
 * tombstone older than the page (?7): the message was deleted and is back (restored), so the page's copy
 * revives it, keeping its id. A tombstone newer than the page stays one (the page's copy is stale).
 */
const INSERT_MESSAGES = insertMessageRows(
  { execution: "?3", importedAt: "?5", rows: "?6" },
  `${GUARD} AND NOT ${REMOVED_FROM_FOLDER}`,
  "imported_messages.deleted_at IS NOT NULL AND imported_messages.deleted_at < ?7",
);

/**
 * Import state per message. A failure counts as an attempt once per execution (`attempted_in`), so a
 * redelivered batch never counts twice; the third failed attempt makes it PERMANENTLY_FAILED; an
 * imported message stays imported: its item while the execution runs, its row once the execution has
 * ended (the IMPORTED items of an ended execution are deleted, executions.ts), so a message that has a
 * row counts as imported even when this attempt failed.
 */
const UPSERT_ITEMS = `INSERT INTO mailbox_sync_items (org_id, mailbox, graph_id, execution_id, folder, status, attempts,
  attempted_in, last_error, updated_at)
SELECT ?1, ?2, o.graph_id, ?3, o.folder,
  CASE WHEN o.gone THEN 'REMOVED' WHEN o.ok THEN 'IMPORTED' ELSE 'FAILED' END,
  CASE WHEN o.ok OR o.gone THEN 0 ELSE 1 END, ?3, CASE WHEN o.ok OR o.gone THEN NULL ELSE o.error END, ?5
FROM (SELECT j.value ->> '$.graph_id' AS graph_id, j.value ->> '$.folder' AS folder, j.value ->> '$.error' AS error,
    (j.value ->> '$.error' IS NULL OR EXISTS (SELECT 1 FROM imported_messages im
      WHERE im.org_id = ?1 AND im.mailbox = ?2 AND im.graph_id = j.value ->> '$.graph_id')) AS ok,
    EXISTS (SELECT 1 FROM imported_messages im WHERE im.org_id = ?1 AND im.mailbox = ?2
      AND im.graph_id = j.value ->> '$.graph_id' AND im.deleted_at IS NOT NULL) AS gone
  FROM json_each(?6) AS j) AS o
WHERE ${GUARD}
ON CONFLICT (org_id, mailbox, graph_id) DO UPDATE SET
  execution_id = excluded.execution_id,
  folder = excluded.folder,
  attempts = CASE WHEN excluded.status = 'FAILED' AND mailbox_sync_items.status <> 'IMPORTED'
      AND mailbox_sync_items.attempted_in IS NOT excluded.attempted_in
    THEN mailbox_sync_items.attempts + 1 ELSE mailbox_sync_items.attempts END,
  status = CASE
    WHEN excluded.status = 'REMOVED' THEN 'REMOVED'
    WHEN mailbox_sync_items.status = 'REMOVED' AND mailbox_sync_items.folder = excluded.folder THEN 'REMOVED'
    WHEN mailbox_sync_items.status = 'IMPORTED' OR excluded.status = 'IMPORTED' THEN 'IMPORTED'
    WHEN mailbox_sync_items.attempted_in IS excluded.attempted_in AND mailbox_sync_items.status <> 'PENDING'
      THEN mailbox_sync_items.status
    WHEN mailbox_sync_items.status = 'PERMANENTLY_FAILED' THEN 'PERMANENTLY_FAILED'
    WHEN mailbox_sync_items.attempts + 1 >= 3 THEN 'PERMANENTLY_FAILED'
    ELSE 'FAILED' END,
  attempted_in = excluded.attempted_in,
  last_error = CASE WHEN mailbox_sync_items.status = 'REMOVED' AND mailbox_sync_items.folder = excluded.folder
      THEN mailbox_sync_items.last_error
    WHEN mailbox_sync_items.status = 'IMPORTED' OR excluded.status = 'IMPORTED' THEN NULL
    ELSE excluded.last_error END,
  updated_at = CASE WHEN mailbox_sync_items.status = 'REMOVED' AND mailbox_sync_items.folder = excluded.folder
    THEN mailbox_sync_items.updated_at ELSE excluded.updated_at END`;

export interface ImportWrite {
  /** Statements run (0 when nothing was to be written). */
  statements: number;
  /** The fencing guard refused the write. */
  refused: boolean;
  /**
   * Message rows added (or revived from an older tombstone); fewer than given when rows existed already, or a
   * message was removed meanwhile (a REMOVED item or a newer tombstone).
   */
  inserted: number;
}

/**
 * Stores imported rows, their attachment rows and the outcome of every message in one transaction;
 * answers how many statements ran (0 when nothing was to be written) and whether the fencing guard
 * refused the write (outcomes to record, none recorded: an outcome upsert always changes its row when
 * the guard holds). Writes no message or outcome when the guard fails (attachment rows attach only to
 * messages that have a row). A new inbox message emits `message.received` in the same transaction
 * (message-events.ts: 2 statements per chunk). `readAt`: when Graph answered the messages (their page).
 */
export async function writeImport(
  db: D1Database,
  ctx: ImportContext,
  rows: StoredMessage[],
  outcomes: ItemOutcome[],
  attachments: AttachmentRecord[] = [],
  readAt: string = new Date().toISOString(),
): Promise<ImportWrite> {
  const now = new Date().toISOString();
  const bind = (query: string, json: string) =>
    db.prepare(query).bind(ctx.orgId, ctx.mailbox, ctx.executionId, ctx.token, now, json);
  const outcomeStatements = jsonChunks(outcomes).map((json) => bind(UPSERT_ITEMS, json));
  const messageChunks = jsonChunks(rows).map((json) => [
    // Each chunk's insert, then the `message.received` events of the rows it actually inserted.
    db.prepare(INSERT_MESSAGES).bind(ctx.orgId, ctx.mailbox, ctx.executionId, ctx.token, now, json, readAt),
    ...messageReceivedStatements(db, ctx.orgId, ctx.mailbox, now, json),
  ]);
  const statements = [...messageChunks.flat(), ...attachmentStatements(db, ctx, attachments), ...outcomeStatements];
  if (statements.length === 0) return { statements: 0, refused: false, inserted: 0 };
  const results = await db.batch(statements);
  const recorded = results.slice(statements.length - outcomeStatements.length).some((r) => r.meta.changes > 0);
  // The first statement of each message chunk is its insert.
  let inserted = 0;
  let at = 0;
  for (const chunk of messageChunks) {
    inserted += results[at]?.meta.changes ?? 0;
    at += chunk.length;
  }
  return { statements: statements.length, refused: outcomeStatements.length > 0 && !recorded, inserted };
}

/** What a queue task needs of its execution and mailbox (one read); absent when the task is stale. */
interface CurrentTask {
  tenant_id: string;
  window_start: string;
  inbox_pages_done: number;
  sent_items_pages_done: number;
}

/**
 * The execution and mailbox of a task whose import writes would still land (the same guard as the
 * writes), or null when the task is stale (cancelled, superseded, finished, disconnected).
 */
export function currentTask(db: D1Database, ctx: ImportContext): Promise<CurrentTask | null> {
  return db
    .prepare(`SELECT m.tenant_id, e.window_start, e.inbox_pages_done, e.sent_items_pages_done FROM ${CURRENT}`)
    .bind(ctx.orgId, ctx.mailbox, ctx.executionId, ctx.token)
    .first<CurrentTask>();
}
