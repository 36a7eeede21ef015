import { and, desc, eq, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { SyncFolder } from "@/clients/graph/mail";
import type { Database } from "@/db/client";
import {
  type FolderCounters,
  type MailboxFolderStatusValue,
  type MailboxSyncStatusValue,
  mailboxSyncExecutions,
} from "@/db/schema";

/**
 * The statements of `mailbox_sync_executions`: its reads, its opening, the folder and page progress of a
 * running execution, its end, and the fencing guard every import write carries (an execution RUNNING under
 * the lease's token, on a mailbox that carries the same token). executions.ts decides when they run.
 */

/**
 * `column IN (values)`, the values bound as one JSON parameter (any count, one bound parameter). Here, not
 * in the items' store, because that store already builds on this one (the import guard).
 */
export function inJson(column: SQLWrapper, values: readonly string[]): SQL {
  return sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;
}

export function findExecution(db: Database, orgId: string, executionId: string, mailbox?: string) {
  return db
    .select()
    .from(mailboxSyncExecutions)
    .where(
      and(
        eq(mailboxSyncExecutions.orgId, orgId),
        eq(mailboxSyncExecutions.id, executionId),
        mailbox === undefined ? undefined : eq(mailboxSyncExecutions.mailbox, mailbox),
      ),
    )
    .get();
}

export function latestExecution(db: Database, orgId: string, mailbox: string) {
  return db
    .select()
    .from(mailboxSyncExecutions)
    .where(and(eq(mailboxSyncExecutions.orgId, orgId), eq(mailboxSyncExecutions.mailbox, mailbox)))
    .orderBy(desc(mailboxSyncExecutions.startedAt), desc(sql`rowid`))
    .limit(1)
    .get();
}

export function runningExecutions(db: Database, orgId: string, mailbox: string) {
  return db
    .select({ id: mailboxSyncExecutions.id, token: mailboxSyncExecutions.fencingToken })
    .from(mailboxSyncExecutions)
    .where(
      and(
        eq(mailboxSyncExecutions.orgId, orgId),
        eq(mailboxSyncExecutions.mailbox, mailbox),
        eq(mailboxSyncExecutions.status, "RUNNING"),
      ),
    )
    .all();
}

/** A new execution, RUNNING from `now` under its lease's fencing token. */
export function insertExecutionStatement(
  db: Database,
  execution: Omit<typeof mailboxSyncExecutions.$inferInsert, "status" | "startedAt" | "updatedAt">,
  now: string,
) {
  return db.insert(mailboxSyncExecutions).values({ ...execution, status: "RUNNING", startedAt: now, updatedAt: now });
}

const folderColumn = (folder: SyncFolder) =>
  folder === "inbox" ? mailboxSyncExecutions.inboxStatus : mailboxSyncExecutions.sentItemsStatus;

/** Moves a folder of the lease's running execution to `status` if it is in one of the `from` states. */
export function setFolderStatusStatement(
  db: Database,
  run: { orgId: string; executionId: string; token: number },
  folder: SyncFolder,
  change: { status: "RUNNING" | "COMPLETED" | "FAILED"; from: MailboxFolderStatusValue[]; error?: string },
) {
  return db
    .update(mailboxSyncExecutions)
    .set({
      ...(folder === "inbox" ? { inboxStatus: change.status } : { sentItemsStatus: change.status }),
      ...(change.error && { error: `${folder}: ${change.error}`.slice(0, 1000) }),
      updatedAt: new Date().toISOString(),
    })
    .where(
      and(
        eq(mailboxSyncExecutions.orgId, run.orgId),
        eq(mailboxSyncExecutions.id, run.executionId),
        eq(mailboxSyncExecutions.status, "RUNNING"),
        eq(mailboxSyncExecutions.fencingToken, run.token),
        inJson(folderColumn(folder), change.from),
      ),
    );
}

/**
 * Ends the execution with `end` and its counters if it is still RUNNING (conditional, so it ends once);
 * returns its mailbox when this statement ended it.
 */
export function endExecutionStatement(
  db: Database,
  orgId: string,
  executionId: string,
  end: {
    status: Exclude<MailboxSyncStatusValue, "RUNNING">;
    error?: string;
    counters: Record<SyncFolder, FolderCounters>;
  },
  now: string,
) {
  return db
    .update(mailboxSyncExecutions)
    .set({
      status: end.status,
      ...(end.error && { error: end.error }),
      inboxCounters: end.counters.inbox,
      sentItemsCounters: end.counters.sentitems,
      completedAt: now,
      updatedAt: now,
    })
    .where(
      and(
        eq(mailboxSyncExecutions.orgId, orgId),
        eq(mailboxSyncExecutions.id, executionId),
        eq(mailboxSyncExecutions.status, "RUNNING"),
      ),
    )
    .returning({ mailbox: mailboxSyncExecutions.mailbox });
}

/** Records that a folder's page `page` is imported; monotonic, so duplicates racing cannot move it back. */
export async function markPageDone(
  d1: D1Database,
  run: { orgId: string; executionId: string; token: number },
  folder: SyncFolder,
  page: number,
) {
  const column = folder === "inbox" ? "inbox_pages_done" : "sent_items_pages_done";
  await d1
    .prepare(
      `UPDATE mailbox_sync_executions SET ${column} = MAX(${column}, ?1) WHERE org_id = ?2 AND id = ?3 AND fencing_token = ?4`,
    )
    .bind(page + 1, run.orgId, run.executionId, run.token)
    .run();
}

/** The lease's execution and its mailbox, as the import guard sees them. ?1 org, ?2 mailbox, ?3 execution, ?4 token. */
const CURRENT = `mailbox_sync_executions e
  JOIN outlook_mailboxes m ON m.org_id = e.org_id AND m.email = e.mailbox
  WHERE e.org_id = ?1 AND e.id = ?3 AND e.mailbox = ?2 AND e.status = 'RUNNING'
    AND e.fencing_token = ?4 AND m.sync_fencing_token = ?4`;

/**
 * The fencing guard of an import write, over its parameters ?1 org, ?2 mailbox, ?3 execution and ?4 token:
 * true only while the execution is RUNNING and both it and the mailbox carry the lease's token.
 */
export const IMPORT_GUARD = `EXISTS (SELECT 1 FROM ${CURRENT})`;

/** What a queue task needs of its execution and mailbox (one read); absent when the task is stale. */
export interface CurrentTask {
  tenant_id: string;
  window_start: string;
  inbox_pages_done: number;
  sent_items_pages_done: number;
}

/**
 * The execution and mailbox of a task whose import writes would still land (the same guard as the
 * writes), or null when the task is stale (cancelled, superseded, finished, disconnected).
 */
export function currentTask(
  d1: D1Database,
  ctx: { orgId: string; mailbox: string; executionId: string; token: number },
): Promise<CurrentTask | null> {
  return d1
    .prepare(`SELECT m.tenant_id, e.window_start, e.inbox_pages_done, e.sent_items_pages_done FROM ${CURRENT}`)
    .bind(ctx.orgId, ctx.mailbox, ctx.executionId, ctx.token)
    .first<CurrentTask>();
}
