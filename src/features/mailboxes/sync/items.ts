import { and, eq, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { SyncFolder } from "@/clients/graph/mail";
import type { Database } from "@/db/client";
import { type MailboxItemStatus, mailboxSyncItems } from "@/db/schema";

/**
 * The import state of a mailbox's messages (`mailbox_sync_items`) as the pipeline reads it. The writes
 * of an import are in import-writer.ts; the move of a retry's items in executions.ts.
 */

/** `column IN (values)`, the values bound as one JSON parameter (any count, one bound parameter). */
export function inJson(column: SQLWrapper, values: readonly string[]): SQL {
  return sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;
}

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
