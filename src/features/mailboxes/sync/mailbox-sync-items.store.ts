import { and, eq, inArray, sql } from "drizzle-orm";
import type { SyncFolder } from "@/clients/graph/mail";
import type { Database } from "@/db/client";
import { type MailboxItemStatus, mailboxSyncExecutions, mailboxSyncItems } from "@/db/schema";
import { IMPORT_GUARD, inJson } from "./mailbox-sync-executions.store";

/**
 * The statements of `mailbox_sync_items`, the import state of a mailbox's messages: the pipeline's reads,
 * the import's outcome upsert (import-writer.ts runs it in its batch), the move of a retry's items and
 * the clean-up once an execution ends (executions.ts), and the purge of a disconnected mailbox.
 */

export interface ItemFilter {
  orgId: string;
  mailbox: string;
  /** Only the items an execution holds. */
  executionId?: string;
  status?: MailboxItemStatus;
  /** Only these Graph ids. */
  ids?: readonly string[];
}

/** The items (Graph id and folder) of a mailbox that match the filter. */
export function findItems(db: Database, filter: ItemFilter): Promise<{ graphId: string; folder: SyncFolder }[]> {
  return db
    .select({ graphId: mailboxSyncItems.graphId, folder: mailboxSyncItems.folder })
    .from(mailboxSyncItems)
    .where(
      and(
        eq(mailboxSyncItems.orgId, filter.orgId),
        eq(mailboxSyncItems.mailbox, filter.mailbox),
        filter.executionId === undefined ? undefined : eq(mailboxSyncItems.executionId, filter.executionId),
        filter.status === undefined ? undefined : eq(mailboxSyncItems.status, filter.status),
        filter.ids === undefined ? undefined : inJson(mailboxSyncItems.graphId, filter.ids),
      ),
    )
    .all();
}

/** The folders of an execution that still have a message waiting (PENDING). */
export async function foldersWithPendingItems(db: Database, orgId: string, executionId: string) {
  const rows = await db
    .selectDistinct({ folder: mailboxSyncItems.folder })
    .from(mailboxSyncItems)
    .where(
      and(
        eq(mailboxSyncItems.orgId, orgId),
        eq(mailboxSyncItems.executionId, executionId),
        eq(mailboxSyncItems.status, "PENDING"),
      ),
    )
    .all();
  return new Set<SyncFolder>(rows.map((r) => r.folder));
}

/** How many items of an execution are in each folder and status. */
export async function countItems(d1: D1Database, orgId: string, executionId: string) {
  const { results } = await d1
    .prepare(
      `SELECT folder, status, count(*) AS n FROM mailbox_sync_items
     WHERE org_id = ?1 AND execution_id = ?2 GROUP BY folder, status`,
    )
    .bind(orgId, executionId)
    .all<{ folder: SyncFolder; status: string; n: number }>();
  return results;
}

/** A retry's move of the FAILED items `ids` of `fromExecution` to `toExecution` (PENDING again). */
export function moveFailedItems(
  db: Database,
  scope: { orgId: string; mailbox: string },
  fromExecution: string,
  toExecution: string,
  ids: readonly string[],
  now: string,
) {
  return db
    .update(mailboxSyncItems)
    .set({ executionId: toExecution, status: "PENDING", updatedAt: now })
    .where(
      and(
        eq(mailboxSyncItems.orgId, scope.orgId),
        eq(mailboxSyncItems.mailbox, scope.mailbox),
        eq(mailboxSyncItems.executionId, fromExecution),
        eq(mailboxSyncItems.status, "FAILED"),
        inJson(mailboxSyncItems.graphId, ids),
      ),
    )
    .returning({ graphId: mailboxSyncItems.graphId });
}

/**
 * Once an execution has ended, its IMPORTED items are dead weight (about a third of the D1 bytes of an
 * imported message): its counters are snapshotted on the execution, a retry only moves FAILED items,
 * and "an imported message stays imported" is answered by the message's own row (import-writer.ts).
 * REMOVED items only kept that execution from writing a message removed meanwhile (live/writer.ts).
 * FAILED / PERMANENTLY_FAILED (what retries read) and PENDING items stay. Runs in the batch that ends the
 * execution, after its update and events, and deletes only when the execution is no longer RUNNING.
 */
export function dropImportedItems(db: Database, orgId: string, executionId: string) {
  return db.delete(mailboxSyncItems).where(
    and(
      eq(mailboxSyncItems.orgId, orgId),
      eq(mailboxSyncItems.executionId, executionId),
      inArray(mailboxSyncItems.status, ["IMPORTED", "REMOVED"]),
      sql`EXISTS (SELECT 1 FROM ${mailboxSyncExecutions} WHERE ${mailboxSyncExecutions.orgId} = ${orgId}
          AND ${mailboxSyncExecutions.id} = ${executionId} AND ${mailboxSyncExecutions.status} <> 'RUNNING')`,
    ),
  );
}

/** Every item of a mailbox (the purge of its imported mail). */
export async function deleteMailboxItems(d1: D1Database, orgId: string, mailbox: string): Promise<void> {
  await d1.prepare("DELETE FROM mailbox_sync_items WHERE org_id = ?1 AND mailbox = ?2").bind(orgId, mailbox).run();
}

/**
 * Live sync saw the page's message leave this folder after the import read the page (?7; live/writer.ts
 * records it as a REMOVED item while an import runs): the page's copy is stale, so it is not written. A
 * removal recorded before the page was read (the message was back by then) and a removal from another
 * folder (moved here) do not stop it.
 */
export const REMOVED_FROM_FOLDER = `EXISTS (SELECT 1 FROM mailbox_sync_items r WHERE r.org_id = ?1 AND r.mailbox = ?2
  AND r.graph_id = j.value ->> '$.graph_id' AND r.status = 'REMOVED' AND r.folder = j.value ->> '$.folder'
  AND r.updated_at >= ?7)`;

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
WHERE ${IMPORT_GUARD}
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

/** The outcome upsert of one JSON chunk of an import's messages (`graph_id`, `folder`, `error`), under the import guard. */
export function itemOutcomeStatement(
  d1: D1Database,
  ctx: { orgId: string; mailbox: string; executionId: string; token: number },
  now: string,
  json: string,
): D1PreparedStatement {
  return d1.prepare(UPSERT_ITEMS).bind(ctx.orgId, ctx.mailbox, ctx.executionId, ctx.token, now, json);
}

/**
 * A removal of a message that has no row while an import runs: the import may have read it (its page is
 * not written yet), so the removal is kept as the message's REMOVED item, and the import does not write
 * it from this folder (REMOVED_FROM_FOLDER). Nothing is kept when no import runs (nothing to stop) or the
 * message has a row (live sync tombstones it); the item goes when the import ends (dropImportedItems).
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

/** Live sync's REMOVED items for one JSON chunk of Graph ids removed from `folder` (live/writer.ts). */
export function removedDuringImportStatement(
  d1: D1Database,
  scope: { orgId: string; mailbox: string; folder: SyncFolder },
  now: string,
  json: string,
): D1PreparedStatement {
  return d1.prepare(REMOVED_DURING_IMPORT).bind(scope.orgId, scope.mailbox, scope.folder, now, json);
}

/** The mailbox's items of the given Graph ids, or all of them (the move into its object; D1's column names). */
export async function itemsToMove(d1: D1Database, orgId: string, mailbox: string, graphIds?: string[]) {
  const { results } = await d1
    .prepare(
      `SELECT graph_id, execution_id, folder, status, attempts, attempted_in, last_error, updated_at
       FROM mailbox_sync_items WHERE org_id = ?1 AND mailbox = ?2
         AND (?3 IS NULL OR graph_id IN (SELECT value FROM json_each(?3)))`,
    )
    .bind(orgId, mailbox, graphIds === undefined ? null : JSON.stringify(graphIds))
    .all<Record<string, SqlStorageValue> & { graph_id: string }>();
  return results;
}
