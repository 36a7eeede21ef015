import { and, desc, eq, sql } from "drizzle-orm";
import type { SyncFolder } from "@/clients/graph/mail";
import { type Database, getDb } from "@/db/client";
import {
  type FolderCounters,
  type MailboxFolderStatusValue,
  type MailboxSyncExecutionRow,
  type MailboxSyncStatusValue,
  type MailboxSyncTimeframe,
  mailboxSyncExecutions,
  mailboxSyncItems,
  outlookMailboxes,
} from "@/db/schema";
import { conflict, notFound } from "@/lib/errors";
import type { AppEnv } from "@/lib/types";
import { leaseMs, lockStub } from "./sync-lock";

/**
 * Queue messages of the import pipeline. They carry ids and cursors only (a queue message holds at
 * most 128 KB): a `page` task is one page of a folder (its Graph URL is the cursor; absent for the
 * first page), a `messages` task is up to MESSAGES_PER_TASK message ids fetched one by one (retries).
 * `throttled` counts Graph 429/503 re-sends, which are not failed attempts.
 */
export type SyncTask =
  | {
      kind: "page";
      orgId: string;
      mailbox: string;
      executionId: string;
      token: number;
      folder: SyncFolder;
      url?: string;
      /** Position of this page in the folder's chain (0, or absent, for the first page). */
      page?: number;
      throttled?: number;
    }
  | {
      kind: "messages";
      orgId: string;
      mailbox: string;
      executionId: string;
      token: number;
      ids: string[];
      throttled?: number;
    };

const MESSAGES_PER_TASK = 50;

const TIMEFRAME_MS: Record<MailboxSyncTimeframe, number> = {
  "5m": 5 * 60 * 1000,
  "1w": 7 * 24 * 60 * 60 * 1000,
  "2w": 14 * 24 * 60 * 60 * 1000,
  "1m": 30 * 24 * 60 * 60 * 1000,
};

export function findMailbox(db: Database, orgId: string, email: string) {
  return db
    .select()
    .from(outlookMailboxes)
    .where(and(eq(outlookMailboxes.orgId, orgId), eq(outlookMailboxes.email, email)))
    .get();
}

const mailboxNotConnected = (email: string) =>
  notFound(`No Outlook mailbox '${email}' is connected in this organization`);

function syncRunning(email: string, executionId: string) {
  return conflict(`A sync of mailbox '${email}' is running (execution ${executionId}); wait for it to finish`);
}

/**
 * Starts a sync: the mailbox's Durable Object grants the lease (409 while another sync holds it), the
 * execution is stored with the lease's fencing token, and one task per folder goes to the queue. The
 * enumeration and import happen in the queue consumer.
 */
export async function startSync(
  env: AppEnv,
  orgId: string,
  email: string,
  timeframe: MailboxSyncTimeframe,
): Promise<{ execution_id: string; status: "RUNNING"; timeframe: MailboxSyncTimeframe }> {
  const db = getDb(env.DB);
  if (!(await findMailbox(db, orgId, email))) throw mailboxNotConnected(email);
  const executionId = crypto.randomUUID();
  const lock = lockStub(env, orgId, email);
  const granted = await lock.acquire({ orgId, mailbox: email, executionId, leaseMs: leaseMs(env) });
  if (!granted.ok) throw syncRunning(email, granted.executionId);
  const now = new Date();
  try {
    const [, fenced] = await db.batch([
      db.insert(mailboxSyncExecutions).values({
        id: executionId,
        orgId,
        mailbox: email,
        kind: "sync",
        timeframe,
        status: "RUNNING",
        fencingToken: granted.token,
        windowStart: new Date(now.getTime() - TIMEFRAME_MS[timeframe]).toISOString(),
        inboxStatus: "PENDING",
        sentItemsStatus: "PENDING",
        startedAt: now.toISOString(),
        updatedAt: now.toISOString(),
      }),
      fenceMailbox(db, orgId, email, granted.token),
    ]);
    if (fenced.length === 0) throw mailboxNotConnected(email); // disconnected meanwhile
    const base = { orgId, mailbox: email, executionId, token: granted.token };
    await env.MAILBOX_SYNC_QUEUE.sendBatch([
      { body: { kind: "page", ...base, folder: "inbox" } satisfies SyncTask },
      { body: { kind: "page", ...base, folder: "sentitems" } satisfies SyncTask },
    ]);
  } catch (err) {
    await finishExecution(env, orgId, executionId, granted.token, { status: "FAILED", error: "Could not start" });
    await lock.release(executionId, granted.token);
    throw err;
  }
  return { execution_id: executionId, status: "RUNNING", timeframe };
}

/** Records the newest lease's token on the mailbox; import writes check it (fencing). */
function fenceMailbox(db: Database, orgId: string, email: string, token: number) {
  return db
    .update(outlookMailboxes)
    .set({ syncFencingToken: token })
    .where(
      and(
        eq(outlookMailboxes.orgId, orgId),
        eq(outlookMailboxes.email, email),
        sql`(${outlookMailboxes.syncFencingToken} IS NULL OR ${outlookMailboxes.syncFencingToken} < ${token})`,
      ),
    )
    .returning({ email: outlookMailboxes.email });
}

/**
 * Retries the FAILED messages an execution holds (all, or the listed ids) under a new execution.
 * PERMANENTLY_FAILED messages are never retried.
 */
export async function retrySync(
  env: AppEnv,
  orgId: string,
  email: string,
  input: { syncId: string; messageIds?: string[] },
): Promise<{ retry_execution_id: string; messages_queued: number }> {
  const db = getDb(env.DB);
  if (!(await findMailbox(db, orgId, email))) throw mailboxNotConnected(email);
  const previous = await db
    .select()
    .from(mailboxSyncExecutions)
    .where(
      and(
        eq(mailboxSyncExecutions.orgId, orgId),
        eq(mailboxSyncExecutions.mailbox, email),
        eq(mailboxSyncExecutions.id, input.syncId),
      ),
    )
    .get();
  if (!previous) throw notFound(`No sync '${input.syncId}' of mailbox '${email}'`);
  if (previous.status === "RUNNING") throw syncRunning(email, previous.id);
  const retryable = await retryableItems(env, orgId, email, previous.id, input.messageIds);
  if (retryable.length === 0) {
    throw notFound(`Sync '${input.syncId}' has no retryable (FAILED) messages left`);
  }
  const executionId = crypto.randomUUID();
  const lock = lockStub(env, orgId, email);
  const granted = await lock.acquire({ orgId, mailbox: email, executionId, leaseMs: leaseMs(env) });
  if (!granted.ok) throw syncRunning(email, granted.executionId);
  const now = new Date().toISOString();
  const folderStatus = (folder: SyncFolder): MailboxFolderStatusValue =>
    retryable.some((item) => item.folder === folder) ? "RUNNING" : "SKIPPED";
  try {
    const ids = JSON.stringify(retryable.map((item) => item.graph_id));
    const [, moved, fenced] = await db.batch([
      db.insert(mailboxSyncExecutions).values({
        id: executionId,
        orgId,
        mailbox: email,
        kind: "retry",
        retryOf: previous.id,
        timeframe: previous.timeframe,
        status: "RUNNING",
        fencingToken: granted.token,
        windowStart: previous.windowStart,
        inboxStatus: folderStatus("inbox"),
        sentItemsStatus: folderStatus("sentitems"),
        startedAt: now,
        updatedAt: now,
      }),
      db
        .update(mailboxSyncItems)
        .set({ executionId, status: "PENDING", updatedAt: now })
        .where(
          and(
            eq(mailboxSyncItems.orgId, orgId),
            eq(mailboxSyncItems.mailbox, email),
            eq(mailboxSyncItems.executionId, previous.id),
            eq(mailboxSyncItems.status, "FAILED"),
            sql`${mailboxSyncItems.graphId} IN (SELECT value FROM json_each(${ids}))`,
          ),
        )
        .returning({ graphId: mailboxSyncItems.graphId }),
      fenceMailbox(db, orgId, email, granted.token),
    ]);
    if (fenced.length === 0) throw mailboxNotConnected(email);
    const base = { orgId, mailbox: email, executionId, token: granted.token };
    const movedIds = moved.map((m) => m.graphId);
    const tasks: { body: SyncTask }[] = [];
    for (let i = 0; i < movedIds.length; i += MESSAGES_PER_TASK) {
      tasks.push({ body: { kind: "messages", ...base, ids: movedIds.slice(i, i + MESSAGES_PER_TASK) } });
    }
    // sendBatch takes at most 100 messages per call.
    for (let i = 0; i < tasks.length; i += 100) await env.MAILBOX_SYNC_QUEUE.sendBatch(tasks.slice(i, i + 100));
    if (movedIds.length === 0) await maybeFinish(env, orgId, executionId);
    return { retry_execution_id: executionId, messages_queued: movedIds.length };
  } catch (err) {
    await finishExecution(env, orgId, executionId, granted.token, { status: "FAILED", error: "Could not start" });
    await lock.release(executionId, granted.token);
    throw err;
  }
}

async function retryableItems(env: AppEnv, orgId: string, email: string, executionId: string, ids?: string[]) {
  const { results } = await env.DB.prepare(
    `SELECT graph_id, folder FROM mailbox_sync_items
     WHERE org_id = ?1 AND mailbox = ?2 AND execution_id = ?3 AND status = 'FAILED'
       AND (?4 IS NULL OR graph_id IN (SELECT value FROM json_each(?4)))`,
  )
    .bind(orgId, email, executionId, ids ? JSON.stringify(ids) : null)
    .all<{ graph_id: string; folder: SyncFolder }>();
  return results;
}

// ---------------------------------------------------------------------------------------------------
// Status and completion

const emptyCounters = (): FolderCounters => ({ total_messages: 0, processed_messages: 0, failed_messages: 0 });

type LiveCounters = Awaited<ReturnType<typeof liveCounters>>;

/** Live per-folder counters of an execution, from the import state of its messages. */
async function liveCounters(env: AppEnv, orgId: string, executionId: string) {
  const { results } = await env.DB.prepare(
    `SELECT folder, status, count(*) AS n FROM mailbox_sync_items
     WHERE org_id = ?1 AND execution_id = ?2 GROUP BY folder, status`,
  )
    .bind(orgId, executionId)
    .all<{ folder: SyncFolder; status: string; n: number }>();
  const counters = { inbox: emptyCounters(), sentitems: emptyCounters(), pending: 0 };
  for (const { folder, status, n } of results) {
    const c = counters[folder];
    c.total_messages += n;
    if (status === "IMPORTED") c.processed_messages += n;
    if (status === "FAILED" || status === "PERMANENTLY_FAILED") c.failed_messages += n;
    if (status === "PENDING") counters.pending += n;
  }
  return counters;
}

function latestExecution(db: Database, orgId: string, email: string) {
  return db
    .select()
    .from(mailboxSyncExecutions)
    .where(and(eq(mailboxSyncExecutions.orgId, orgId), eq(mailboxSyncExecutions.mailbox, email)))
    .orderBy(desc(mailboxSyncExecutions.startedAt), desc(sql`rowid`))
    .limit(1)
    .get();
}

export async function syncStatus(env: AppEnv, orgId: string, email: string) {
  const db = getDb(env.DB);
  const execution = await latestExecution(db, orgId, email);
  if (!execution) throw notFound(`Mailbox '${email}' has never been synced`);
  return toStatusResponse(env, execution);
}

async function toStatusResponse(env: AppEnv, e: MailboxSyncExecutionRow) {
  let inbox = e.inboxCounters;
  let sent = e.sentItemsCounters;
  if (!inbox || !sent) {
    const live = await liveCounters(env, e.orgId, e.id);
    inbox = live.inbox;
    sent = live.sentitems;
  }
  return {
    execution_id: e.id,
    status: e.status,
    timeframe: e.timeframe,
    started_at: e.startedAt,
    ...(e.completedAt && { completed_at: e.completedAt }),
    inbox: { status: e.inboxStatus, ...inbox },
    sent_items: { status: e.sentItemsStatus, ...sent },
  };
}

const FOLDER_DONE: MailboxFolderStatusValue[] = ["COMPLETED", "FAILED", "SKIPPED"];

/**
 * Ends the execution when both folders are done and no message waits: COMPLETED, COMPLETED_WITH_ERRORS
 * (some messages failed) or FAILED (a folder's enumeration failed). Happens once (conditional update),
 * snapshots the counters and releases the lock.
 */
export async function maybeFinish(env: AppEnv, orgId: string, executionId: string) {
  const db = getDb(env.DB);
  const e = await db
    .select()
    .from(mailboxSyncExecutions)
    .where(and(eq(mailboxSyncExecutions.orgId, orgId), eq(mailboxSyncExecutions.id, executionId)))
    .get();
  if (e?.status !== "RUNNING") return;
  if (!FOLDER_DONE.includes(e.inboxStatus) || !FOLDER_DONE.includes(e.sentItemsStatus)) return;
  const live = await liveCounters(env, orgId, executionId);
  if (live.pending > 0) return;
  const failed = live.inbox.failed_messages + live.sentitems.failed_messages;
  const status: MailboxSyncStatusValue =
    e.inboxStatus === "FAILED" || e.sentItemsStatus === "FAILED"
      ? "FAILED"
      : failed > 0
        ? "COMPLETED_WITH_ERRORS"
        : "COMPLETED";
  await finishExecution(env, orgId, executionId, e.fencingToken, { status }, live);
}

/**
 * Ends a running execution once (conditional), storing the counters (`live`, when the caller just
 * read them), and frees its lock.
 */
async function finishExecution(
  env: AppEnv,
  orgId: string,
  executionId: string,
  token: number,
  outcome: { status: Exclude<MailboxSyncStatusValue, "RUNNING">; error?: string },
  live?: LiveCounters,
): Promise<boolean> {
  const db = getDb(env.DB);
  const counters = live ?? (await liveCounters(env, orgId, executionId));
  const now = new Date().toISOString();
  const [ended] = await db
    .update(mailboxSyncExecutions)
    .set({
      status: outcome.status,
      ...(outcome.error && { error: outcome.error }),
      inboxCounters: counters.inbox,
      sentItemsCounters: counters.sentitems,
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
  if (!ended) return false;
  await lockStub(env, orgId, ended.mailbox).release(executionId, token);
  return true;
}

/**
 * Cancels the mailbox's running sync (disconnect): the lock is freed, the execution ends CANCELLED and,
 * since import writes require a RUNNING execution with the mailbox's current token, nothing more of it
 * is imported.
 */
export async function cancelRunningSync(env: AppEnv, orgId: string, email: string) {
  const db = getDb(env.DB);
  await lockStub(env, orgId, email).cancel();
  const running = await db
    .select({ id: mailboxSyncExecutions.id, token: mailboxSyncExecutions.fencingToken })
    .from(mailboxSyncExecutions)
    .where(
      and(
        eq(mailboxSyncExecutions.orgId, orgId),
        eq(mailboxSyncExecutions.mailbox, email),
        eq(mailboxSyncExecutions.status, "RUNNING"),
      ),
    )
    .all();
  for (const e of running) await finishExecution(env, orgId, e.id, e.token, { status: "CANCELLED" });
}
