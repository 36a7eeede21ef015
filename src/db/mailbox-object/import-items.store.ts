import type { SyncFolder } from "@/clients/graph/mail";
import { jsonChunks } from "@/db/json-chunks";

/**
 * The statements of a mailbox object's `import_items`: the import state of each Graph message of the
 * mailbox, as D1's `mailbox_sync_items` keeps it for a mailbox whose mail is still in D1 (same statuses,
 * same rules; src/features/mailboxes/sync/mailbox-sync-items.store.ts). Written in the transaction of the
 * page they describe, so a message and its outcome are never apart.
 */

/** One message's outcome as the import hands it over (`error` absent when it was imported). */
export interface ImportOutcome {
  graph_id: string;
  folder: SyncFolder;
  error?: string;
}

export type ImportItemStatus = "PENDING" | "IMPORTED" | "FAILED" | "PERMANENTLY_FAILED" | "REMOVED";

/**
 * Import state per message (?1 execution, ?2 now, ?3 outcomes). A failure counts as an attempt once per
 * execution (`attempted_in`); the third failed attempt makes it PERMANENTLY_FAILED; a message that has a row
 * counts as imported even when this attempt failed; a REMOVED item of the same folder stays REMOVED.
 */
const UPSERT_OUTCOMES = `INSERT INTO import_items (graph_id, execution_id, folder, status, attempts, attempted_in,
  last_error, updated_at)
SELECT o.graph_id, ?1, o.folder,
  CASE WHEN o.gone THEN 'REMOVED' WHEN o.ok THEN 'IMPORTED' ELSE 'FAILED' END,
  CASE WHEN o.ok OR o.gone THEN 0 ELSE 1 END, ?1, CASE WHEN o.ok OR o.gone THEN NULL ELSE o.error END, ?2
FROM (SELECT j.value ->> '$.graph_id' AS graph_id, j.value ->> '$.folder' AS folder, j.value ->> '$.error' AS error,
    (j.value ->> '$.error' IS NULL
      OR EXISTS (SELECT 1 FROM messages m WHERE m.graph_id = j.value ->> '$.graph_id')) AS ok,
    EXISTS (SELECT 1 FROM messages m WHERE m.graph_id = j.value ->> '$.graph_id'
      AND m.deleted_at IS NOT NULL) AS gone
  FROM json_each(?3) AS j) AS o
WHERE true
ON CONFLICT (graph_id) DO UPDATE SET
  execution_id = excluded.execution_id,
  folder = excluded.folder,
  attempts = CASE WHEN excluded.status = 'FAILED' AND import_items.status <> 'IMPORTED'
      AND import_items.attempted_in IS NOT excluded.attempted_in
    THEN import_items.attempts + 1 ELSE import_items.attempts END,
  status = CASE
    WHEN excluded.status = 'REMOVED' THEN 'REMOVED'
    WHEN import_items.status = 'REMOVED' AND import_items.folder = excluded.folder THEN 'REMOVED'
    WHEN import_items.status = 'IMPORTED' OR excluded.status = 'IMPORTED' THEN 'IMPORTED'
    WHEN import_items.attempted_in IS excluded.attempted_in AND import_items.status <> 'PENDING'
      THEN import_items.status
    WHEN import_items.status = 'PERMANENTLY_FAILED' THEN 'PERMANENTLY_FAILED'
    WHEN import_items.attempts + 1 >= 3 THEN 'PERMANENTLY_FAILED'
    ELSE 'FAILED' END,
  attempted_in = excluded.attempted_in,
  last_error = CASE WHEN import_items.status = 'REMOVED' AND import_items.folder = excluded.folder
      THEN import_items.last_error
    WHEN import_items.status = 'IMPORTED' OR excluded.status = 'IMPORTED' THEN NULL
    ELSE excluded.last_error END,
  updated_at = CASE WHEN import_items.status = 'REMOVED' AND import_items.folder = excluded.folder
    THEN import_items.updated_at ELSE excluded.updated_at END`;

/**
 * A removal of a message without a row while an import runs (?1 that import's execution, ?2 folder, ?3 now,
 * ?4 Graph ids): kept as a REMOVED item, so the import does not write the stale copy it may have read.
 */
const REMOVED_DURING_IMPORT = `INSERT INTO import_items (graph_id, execution_id, folder, status, attempts,
  attempted_in, last_error, updated_at)
SELECT j.value, ?1, ?2, 'REMOVED', 0, NULL, NULL, ?3 FROM json_each(?4) AS j
WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.graph_id = j.value)
ON CONFLICT (graph_id) DO UPDATE SET
  execution_id = excluded.execution_id, folder = excluded.folder, status = 'REMOVED', updated_at = excluded.updated_at
WHERE import_items.status <> 'IMPORTED'`;

/** An item of an ended execution as the move from D1 hands it over (D1's column names). */
export interface MovedItem {
  graph_id: string;
  execution_id: string;
  folder: SyncFolder;
  status: ImportItemStatus;
  attempts: number;
  attempted_in: string | null;
  last_error: string | null;
  updated_at: string;
}

const ADOPT_ITEMS = `INSERT INTO import_items (graph_id, execution_id, folder, status, attempts, attempted_in,
  last_error, updated_at)
SELECT j.value ->> '$.graph_id', j.value ->> '$.execution_id', j.value ->> '$.folder', j.value ->> '$.status',
  j.value ->> '$.attempts', j.value ->> '$.attempted_in', j.value ->> '$.last_error', j.value ->> '$.updated_at'
FROM json_each(?1) AS j WHERE true
ON CONFLICT (graph_id) DO NOTHING`;

export class ImportItems {
  constructor(private readonly sql: SqlStorage) {}

  /** Records each message's outcome (see UPSERT_OUTCOMES); call in the page's transaction, after its rows. */
  recordOutcomes(outcomes: ImportOutcome[], at: { executionId: string; now: string }): void {
    for (const json of jsonChunks(outcomes)) this.sql.exec(UPSERT_OUTCOMES, at.executionId, at.now, json);
  }

  /** Removals of messages without a row while the import `executionId` runs (see REMOVED_DURING_IMPORT). */
  recordRemovedDuringImport(folder: SyncFolder, graphIds: string[], at: { executionId: string; now: string }): void {
    for (const json of jsonChunks(graphIds)) this.sql.exec(REMOVED_DURING_IMPORT, at.executionId, folder, at.now, json);
  }

  /** How many items of an execution are in each folder and status. */
  counts(executionId: string): { folder: SyncFolder; status: ImportItemStatus; n: number }[] {
    return this.sql
      .exec<{ folder: SyncFolder; status: ImportItemStatus; n: number }>(
        "SELECT folder, status, count(*) AS n FROM import_items WHERE execution_id = ?1 GROUP BY folder, status",
        executionId,
      )
      .toArray();
  }

  /** The items (Graph id and folder) that match: of an execution, in a status, among Graph ids. */
  find(filter: { executionId?: string; status?: ImportItemStatus; ids?: readonly string[] }) {
    return this.sql
      .exec<{ graphId: string; folder: SyncFolder }>(
        `SELECT graph_id AS graphId, folder FROM import_items
         WHERE (?1 IS NULL OR execution_id = ?1) AND (?2 IS NULL OR status = ?2)
           AND (?3 IS NULL OR graph_id IN (SELECT value FROM json_each(?3)))`,
        filter.executionId ?? null,
        filter.status ?? null,
        filter.ids === undefined ? null : JSON.stringify(filter.ids),
      )
      .toArray();
  }

  /** A retry's move of the FAILED items `ids` of `from` to `to` (PENDING again); answers the ids moved. */
  moveFailed(from: string, to: string, ids: readonly string[], now: string): string[] {
    return jsonChunks([...ids]).flatMap((json) =>
      this.sql
        .exec<{ graph_id: string }>(
          `UPDATE import_items SET execution_id = ?2, status = 'PENDING', updated_at = ?3
           WHERE execution_id = ?1 AND status = 'FAILED' AND graph_id IN (SELECT value FROM json_each(?4))
           RETURNING graph_id`,
          from,
          to,
          now,
          json,
        )
        .toArray()
        .map((row) => row.graph_id),
    );
  }

  /**
   * Once an execution has ended its IMPORTED and REMOVED items are dead weight (the message's row says it is
   * imported; a REMOVED item only kept that execution from writing); FAILED ones stay for retries.
   */
  dropEnded(executionId: string): void {
    this.sql.exec(
      "DELETE FROM import_items WHERE execution_id = ?1 AND status IN ('IMPORTED', 'REMOVED')",
      executionId,
    );
  }

  /** Items moved in from D1 (an item the object holds already is kept). */
  adopt(items: MovedItem[]): void {
    for (const json of jsonChunks(items)) this.sql.exec(ADOPT_ITEMS, json);
  }
}
