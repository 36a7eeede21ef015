import type { ImportRow, SyncFolder } from "@/clients/graph/mail";
import { jsonChunks } from "@/db/json-chunks";
import type { AttachmentRecord, StoredBodyColumns } from "@/db/message-store";
import { attachmentStatements, insertImportedRows } from "@/db/message-store";
import type { Services } from "@/lib/services";
import { mailboxKey, newMessageId } from "@/shared/message-ids";
import { adoptionFor, type MailHome } from "../mail-home";
import { messageReceivedStatements, relayMailboxEvents } from "../message-events";
import { lockStub } from "./lock-stub";
import { IMPORT_GUARD } from "./mailbox-sync-executions.store";
import { itemOutcomeStatement, REMOVED_FROM_FOLDER } from "./mailbox-sync-items.store";

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
 * sanitized copy) and attachments are in the message store (src/db/message-store), not in the row.
 */
export type StoredMessage = Omit<ImportRow, keyof StoredBodyColumns> & StoredBodyColumns;

export interface ItemOutcome {
  graph_id: string;
  folder: SyncFolder;
  /** Absent when the message was imported. */
  error?: string;
}

/** The import's insert writes a page's rows while its lease holds, except those live sync removed meanwhile. */
const INSERT_WHERE = `${IMPORT_GUARD} AND NOT ${REMOVED_FROM_FOLDER}`;

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
  const outcomeStatements = jsonChunks(outcomes).map((json) => itemOutcomeStatement(db, ctx, now, json));
  const messageChunks = jsonChunks(rows).map((json) => [
    // Each chunk's insert, then the `message.received` events of the rows it actually inserted.
    insertImportedRows(db, INSERT_WHERE, { ...ctx, now, json, readAt }),
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

/** Rows whose new ids lead to the mailbox's object (a stored message keeps the id it has). */
export async function withMailboxIds<R extends { uid: string }>(
  owner: { orgId: string; mailbox: string },
  rows: R[],
): Promise<R[]> {
  const key = await mailboxKey(owner.orgId, owner.mailbox);
  return rows.map((row) => ({ ...row, uid: newMessageId(key) }));
}

/**
 * The same write for a mailbox whose mail is in its Durable Object: one call, which checks the lease and writes
 * rows, attachment rows, outcomes and `message.received` events in one transaction; the events are then
 * relayed to the webhook tables. While the mailbox moves in, the D1 rows of the page's messages go along first.
 * Answers whether the lease refused the write and, of the rows, the Graph ids left without a listed row.
 */
export async function writeImportToObject(
  services: Pick<Services, "d1" | "db" | "queues" | "mailboxObjects" | "messageContent" | "now">,
  ctx: ImportContext,
  home: Extract<MailHome, { store: "object" }>,
  page: { rows: StoredMessage[]; outcomes: ItemOutcome[]; attachments: AttachmentRecord[] },
  readAt: string = new Date().toISOString(),
): Promise<{ refused: boolean; withoutRow: string[] }> {
  const owner = { orgId: ctx.orgId, mailbox: ctx.mailbox };
  const adopt = home.moving
    ? await adoptionFor(services, owner, { graphIds: page.outcomes.map((o) => o.graph_id) })
    : undefined;
  const write = await lockStub(services, ctx.orgId, ctx.mailbox).writeImportPage(
    owner,
    { executionId: ctx.executionId, token: ctx.token },
    { ...page, rows: await withMailboxIds(owner, page.rows), ...(adopt && { adopt }) },
    { now: new Date().toISOString(), readAt, sharedInboxId: home.sharedInboxId },
  );
  if (write.events > 0) await relayMailboxEvents(services, owner);
  return { refused: write.refused, withoutRow: write.withoutRow };
}
