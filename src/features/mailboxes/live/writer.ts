import type { AttachmentGraph } from "@/clients/graph/attachments";
import { convertMessage, type GraphMessage, type SyncFolder } from "@/clients/graph/mail";
import { attachmentStatements, dropUnclaimedContent, removeMessageContent, storeBatch } from "@/db/message-store";
import { kickWebhookDeliveries } from "@/features/webhooks";
import { logEvent } from "@/lib/log";
import type { AppEnv } from "@/lib/types";
import { messageReceivedStatements } from "../message-events";
import { insertMessageRows } from "../message-row-sql";
import type { StoredMessage } from "../sync/import-writer";
import { jsonChunks } from "../sync/json-chunks";
import { otherFolder, resolveRemovals } from "./removals";
import { markStatements, presentIds, type ResyncRound, sweepStatements } from "./resync-sweep";

/**
 * D1 writes of live sync: the same rows as the import (same fields; the whole body, its sanitized copy and
 * the attachments go to the message store first, services/message-store), one transaction per delta page,
 * rows as one JSON parameter per statement (`json_each`).
 *
 * - Present messages are upserted on (org, mailbox, Graph immutable id): a new one is inserted, a known one
 *   is updated only when Graph's `lastModifiedDateTime` is newer than the stored version's (or equal with
 *   another folder: a move), so replayed and out-of-order pages never move a message back. A moved message
 *   keeps its row (immutable ids survive moves); an upsert also brings back a tombstone.
 * - A removal that Graph shows to be a move into the other synced folder is written as that message, in
 *   that folder (removals.ts): a delta round only brings back mail received since the connect.
 * - Removed messages become tombstones: `deleted_at` set, bodies and preview dropped, skipped by listings;
 *   their objects in the message store and their attachment rows are deleted after the transaction.
 *   Only a row still in the folder that reported the removal is touched, so "removed from Inbox" after
 *   "created in Sent Items" (a move seen in that order) leaves the message listed. A removed message
 *   without a row, while an import runs, is kept from that import (REMOVED_DURING_IMPORT).
 * - A resync round (after an expired delta token) marks what it lists and, at its deltaLink, tombstones the
 *   unmarked rows of its folder and window the same way (resync-sweep.ts): deletions it cannot report.
 * Every statement requires the mailbox mapping to exist: after a disconnect nothing is written.
 */

// ?1 org, ?2 mailbox, ?3 execution id of the live run, ?4 now, ?5 rows (JSON)
const UPSERT = insertMessageRows(
  { execution: "?3", importedAt: "?4", rows: "?5" },
  "true",
  `excluded.graph_modified_at IS NULL OR imported_messages.graph_modified_at IS NULL
  OR excluded.graph_modified_at > imported_messages.graph_modified_at
  OR (excluded.graph_modified_at = imported_messages.graph_modified_at
      AND (excluded.folder <> imported_messages.folder OR imported_messages.deleted_at IS NOT NULL))`,
);

// ?1 org, ?2 mailbox, ?3 folder, ?4 now, ?5 ids (JSON)
const REMOVE = `UPDATE imported_messages SET deleted_at = ?4, body = NULL, body_sanitized = NULL, body_preview = NULL
WHERE org_id = ?1 AND mailbox = ?2 AND folder = ?3 AND deleted_at IS NULL
  AND graph_id IN (SELECT value FROM json_each(?5))
  AND EXISTS (SELECT 1 FROM outlook_mailboxes m WHERE m.org_id = ?1 AND m.email = ?2)
RETURNING graph_id`;

/**
 * A removal of a message that has no row while an import runs: the import may have read it (its page is
 * not written yet), so the removal is kept as the message's REMOVED item, and the import does not write
 * it from this folder (sync/import-writer.ts). Nothing is kept when no import runs (nothing to stop) or
 * the message has a row (REMOVE above); the item goes when the import ends (sync/executions.ts).
 */
// ?1 org, ?2 mailbox, ?3 folder, ?4 now, ?5 ids (JSON)
const REMOVED_DURING_IMPORT = `INSERT INTO mailbox_sync_items (org_id, mailbox, graph_id, execution_id, folder, status,
  attempts, attempted_in, last_error, updated_at)
SELECT ?1, ?2, j.value, e.id, ?3, 'REMOVED', 0, NULL, NULL, ?4
FROM json_each(?5) AS j
JOIN mailbox_sync_executions e ON e.org_id = ?1 AND e.mailbox = ?2 AND e.status = 'RUNNING'
WHERE EXISTS (SELECT 1 FROM outlook_mailboxes m WHERE m.org_id = ?1 AND m.email = ?2)
  AND NOT EXISTS (SELECT 1 FROM imported_messages im WHERE im.org_id = ?1 AND im.mailbox = ?2 AND im.graph_id = j.value)
ON CONFLICT (org_id, mailbox, graph_id) DO UPDATE SET
  execution_id = excluded.execution_id, folder = excluded.folder, status = 'REMOVED', updated_at = excluded.updated_at
WHERE mailbox_sync_items.status <> 'IMPORTED'`;

export interface LiveWrite {
  orgId: string;
  mailbox: string;
  runId: string;
  folder: SyncFolder;
  attachmentMaxBytes: number;
  /** Start of the live window (ISO): removals of mail received before it are looked up (removals.ts). */
  windowStart?: string;
  /** Set while the folder's round is a resync. */
  resync?: ResyncRound;
}

/** Bodies are stored whole (in the message store), never cut. */
const WHOLE_BODY = Number.MAX_SAFE_INTEGER;

/**
 * Writes one delta page (one transaction); answers the statements run, the messages skipped (Graph
 * returned them incomplete, or their content could not be stored: both logged, and imported with the
 * message's next change) and the removals looked up in Graph.
 */
export async function writeDeltaPage(
  env: AppEnv,
  ctx: LiveWrite,
  page: { present: GraphMessage[]; removed: string[]; deltaLink?: string },
  graph: AttachmentGraph | null,
): Promise<{ statements: number; skipped: number; lookups: number }> {
  const db = env.DB;
  // When the page was seen: an import that read its page later is not stopped by this page's removals.
  const now = new Date().toISOString();
  // Removals that are moves into the other synced folder are written there instead (removals.ts).
  const resolved = await resolveRemovals(db, graph, ctx, page.removed);
  const converted = [];
  let incomplete = 0;
  const incoming = [
    ...page.present.map((raw) => ({ raw, folder: ctx.folder })),
    ...resolved.movedIn.map((raw) => ({ raw, folder: otherFolder(ctx.folder) })),
  ];
  for (const { raw, folder } of incoming) {
    const c = convertMessage(raw, folder, WHOLE_BODY);
    if (c.ok) converted.push(c.row);
    else incomplete++;
  }
  const store = await storeBatch(converted, { env, ...ctx, graph });
  const rows: StoredMessage[] = store.stored;
  // A move Graph answered unusable (incomplete) is applied as the removal it was reported as; a move whose
  // content could not be stored (perhaps for now) leaves the stored row as it is, listed in its old folder.
  const convertedIds = new Set(converted.map((row) => row.graph_id));
  const removedIds = [
    ...resolved.removed,
    ...resolved.movedIn.map((raw) => String(raw.id)).filter((id) => !convertedIds.has(id)),
  ];
  const skipped = incomplete + store.failed.length;
  if (incomplete > 0) logEvent("warn", "mailbox_live_message_incomplete", { orgId: ctx.orgId, skipped: incomplete });
  if (store.failed.length > 0) {
    logEvent("warn", "mailbox_live_content_failed", { orgId: ctx.orgId, skipped: store.failed.length });
  }
  const removals = [
    ...jsonChunks(removedIds).map((json) => db.prepare(REMOVE).bind(ctx.orgId, ctx.mailbox, ctx.folder, now, json)),
    ...sweepStatements(db, ctx, page, now),
  ];
  const rowChunks = jsonChunks(rows);
  const statements = [
    // Each chunk's upsert, then `message.received` for the rows it inserted (never an update or a revival).
    ...rowChunks.flatMap((json) => [
      db.prepare(UPSERT).bind(ctx.orgId, ctx.mailbox, `live:${ctx.runId}`, now, json),
      ...messageReceivedStatements(db, ctx.orgId, ctx.mailbox, now, json),
    ]),
    ...attachmentStatements(db, ctx, store.attachments),
    ...markStatements(db, ctx, jsonChunks(presentIds(page.present))),
    ...jsonChunks(removedIds).map((json) =>
      db.prepare(REMOVED_DURING_IMPORT).bind(ctx.orgId, ctx.mailbox, ctx.folder, now, json),
    ),
    ...removals,
  ];
  if (statements.length === 0) return { statements: 0, skipped, lookups: resolved.lookups };
  const results = await db.batch<{ graph_id: string }>(statements);
  // Deliveries were written (statement 3 of each chunk's three): deliver now rather than at the sweep.
  if (results.slice(0, rowChunks.length * 3).some((r, i) => i % 3 === 2 && (r.meta?.changes ?? 0) > 0)) {
    await kickWebhookDeliveries(env, ctx.orgId);
  }
  // No upsert changed a row (the mailbox may have been disconnected meanwhile: every statement requires
  // its mapping): what this page stored for messages without a row would be orphaned.
  const upserts = results.slice(0, rowChunks.length * 3).filter((_, i) => i % 3 === 0);
  if (upserts.length > 0 && upserts.every((r) => (r.meta?.changes ?? 0) === 0)) {
    await dropUnclaimedContent(
      env,
      ctx.orgId,
      ctx.mailbox,
      rows.map((row) => row.graph_id),
    );
  }
  // The messages this page (or the resync sweep) made tombstones: their stored content goes too.
  const removed = results.slice(statements.length - removals.length).flatMap((r) => r.results ?? []);
  await removeMessageContent(
    db,
    env.MESSAGE_STORE,
    removed.map((r) => ({ orgId: ctx.orgId, mailbox: ctx.mailbox, graphId: r.graph_id })),
  );
  return { statements: statements.length, skipped, lookups: resolved.lookups };
}
