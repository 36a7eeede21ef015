import { and, desc, eq, sql } from "drizzle-orm";
import type { SyncFolder } from "@/clients/graph/mail";
import type { Database } from "@/db/client";
import { mailboxSyncExecutions } from "@/db/schema";

/**
 * The statements of `mailbox_sync_executions`: its reads, the page progress of a running execution, and
 * the fencing guard every import write carries (an execution RUNNING under the lease's token, on a mailbox
 * that carries the same token). The opening, folder and end updates are in executions.ts.
 */

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
