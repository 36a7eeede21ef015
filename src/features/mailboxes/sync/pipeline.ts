import type { SyncFolder } from "@/clients/graph/mail";
import type { MailboxFolderStatusValue, MailboxSyncTimeframe } from "@/db/schema";
import { findMailbox } from "@/db/stores/outlook-mailboxes.store";
import { conflict, notFound } from "@/lib/errors";
import type { Services } from "@/lib/services";
import { mailboxNotConnected } from "../mailbox-errors";
import {
  type ExecutionOutcome,
  type ExecutionSpec,
  endExecution,
  executionCounters,
  insertExecution,
  type LiveCounters,
  type OpenedRun,
  readyToEnd,
} from "./executions";
import { findImportItems } from "./import-items";
import { leaseMs } from "./lease";
import { lockStub, MOVE_PREFIX } from "./lock-stub";
import { findExecution, latestExecution, runningExecutions } from "./mailbox-sync-executions.store";
import { enqueue, messageTasks } from "./tasks";

/**
 * The life of a sync: start (or retry) opens an execution under the mailbox's lease and queues its
 * tasks; the queue consumer does the work and calls `maybeFinish`; the execution ends and frees the
 * lease once nothing waits; a disconnect cancels it.
 */

const TIMEFRAME_MS: Record<MailboxSyncTimeframe, number> = {
  "5m": 5 * 60 * 1000,
  "1w": 7 * 24 * 60 * 60 * 1000,
  "2w": 14 * 24 * 60 * 60 * 1000,
  "1m": 30 * 24 * 60 * 60 * 1000,
};

function syncRunning(email: string, executionId: string) {
  if (executionId.startsWith(MOVE_PREFIX)) {
    return conflict(`Mailbox '${email}' is moving its imported mail into its own store; try again in a minute`);
  }
  return conflict(`A sync of mailbox '${email}' is running (execution ${executionId}); wait for it to finish`);
}

/**
 * The one opener of start and retry: the mailbox's Durable Object grants the lease (409 while another
 * sync holds it), the execution is stored with the lease's fencing token (404 when the mailbox was
 * disconnected meanwhile), and `enqueue` sends its tasks. Should any of it fail, the execution ends
 * FAILED and the lease is freed.
 */
async function openExecution<T>(
  services: Services,
  orgId: string,
  email: string,
  spec: ExecutionSpec,
  enqueueTasks: (run: OpenedRun & { movedIds: string[] }) => Promise<T>,
): Promise<T> {
  const executionId = crypto.randomUUID();
  const lock = lockStub(services, orgId, email);
  const granted = await lock.acquire({ orgId, mailbox: email, executionId, leaseMs: leaseMs(services) });
  if (!granted.ok) throw syncRunning(email, granted.executionId);
  const run = { executionId, token: granted.token };
  try {
    const opened = await insertExecution(services, orgId, email, run, spec);
    if (!opened.connected) throw mailboxNotConnected(email);
    return await enqueueTasks({ ...run, movedIds: opened.movedIds });
  } catch (err) {
    await finishExecution(services, orgId, executionId, granted.token, { status: "FAILED", error: "Could not start" });
    await lock.release(executionId, granted.token);
    throw err;
  }
}

/** Starts a sync: one page task per folder; the enumeration and import happen in the queue consumer. */
export async function startMailboxSync(
  services: Services,
  orgId: string,
  email: string,
  timeframe: MailboxSyncTimeframe,
): Promise<{ execution_id: string; status: "RUNNING"; timeframe: MailboxSyncTimeframe }> {
  if (!(await findMailbox(services.db, orgId, email))) throw mailboxNotConnected(email);
  const spec: ExecutionSpec = {
    kind: "sync",
    timeframe,
    windowStart: new Date(Date.now() - TIMEFRAME_MS[timeframe]).toISOString(),
    inboxStatus: "PENDING",
    sentItemsStatus: "PENDING",
  };
  return openExecution(services, orgId, email, spec, async (run) => {
    const base = { orgId, mailbox: email, executionId: run.executionId, token: run.token };
    await enqueue(services, [
      { kind: "page", ...base, folder: "inbox" },
      { kind: "page", ...base, folder: "sentitems" },
    ]);
    return { execution_id: run.executionId, status: "RUNNING" as const, timeframe };
  });
}

/**
 * Retries the FAILED messages an execution holds (all, or the listed ids) under a new execution.
 * PERMANENTLY_FAILED messages are never retried.
 */
export async function retryMailboxSync(
  services: Services,
  orgId: string,
  email: string,
  input: { syncId: string; messageIds?: string[] },
): Promise<{ retry_execution_id: string; messages_queued: number }> {
  const db = services.db;
  if (!(await findMailbox(db, orgId, email))) throw mailboxNotConnected(email);
  const previous = await findExecution(db, orgId, input.syncId, email);
  if (!previous) throw notFound(`No sync '${input.syncId}' of mailbox '${email}'`);
  if (previous.status === "RUNNING") throw syncRunning(email, previous.id);
  const retryable = await findImportItems(services, {
    orgId,
    mailbox: email,
    executionId: previous.id,
    status: "FAILED",
    ids: input.messageIds,
  });
  if (retryable.length === 0) {
    throw notFound(`Sync '${input.syncId}' has no retryable (FAILED) messages left`);
  }
  const folderStatus = (folder: SyncFolder): MailboxFolderStatusValue =>
    retryable.some((item) => item.folder === folder) ? "RUNNING" : "SKIPPED";
  const spec: ExecutionSpec = {
    kind: "retry",
    timeframe: previous.timeframe,
    windowStart: previous.windowStart,
    inboxStatus: folderStatus("inbox"),
    sentItemsStatus: folderStatus("sentitems"),
    retryOf: { executionId: previous.id, ids: retryable.map((item) => item.graphId) },
  };
  return openExecution(services, orgId, email, spec, async (run) => {
    const base = { orgId, mailbox: email, executionId: run.executionId, token: run.token };
    await enqueue(services, messageTasks(base, run.movedIds));
    if (run.movedIds.length === 0) await maybeFinish(services, orgId, run.executionId);
    return { retry_execution_id: run.executionId, messages_queued: run.movedIds.length };
  });
}

/** The latest execution of a mailbox, with its counters (snapshotted, or live while it runs). */
export async function getMailboxSyncStatus(services: Services, orgId: string, email: string) {
  const e = await latestExecution(services.db, orgId, email);
  if (!e) throw notFound(`Mailbox '${email}' has never been synced`);
  const counters = await executionCounters(services, e);
  return {
    execution_id: e.id,
    status: e.status,
    timeframe: e.timeframe,
    started_at: e.startedAt,
    ...(e.completedAt && { completed_at: e.completedAt }),
    inbox: { status: e.inboxStatus, ...counters.inbox },
    sent_items: { status: e.sentItemsStatus, ...counters.sentitems },
  };
}

/**
 * Ends the execution when both folders are done and no message waits (see `readyToEnd`). Happens once
 * (conditional update), snapshots the counters and releases the lock.
 */
export async function maybeFinish(services: Services, orgId: string, executionId: string) {
  const ready = await readyToEnd(services, orgId, executionId);
  if (ready) await finishExecution(services, orgId, executionId, ready.token, ready.outcome, ready.live);
}

/** Ends a running execution once and frees its lock. */
async function finishExecution(
  services: Services,
  orgId: string,
  executionId: string,
  token: number,
  outcome: ExecutionOutcome,
  live?: LiveCounters,
): Promise<boolean> {
  const ended = await endExecution(services, orgId, executionId, outcome, live);
  if (!ended) return false;
  await lockStub(services, orgId, ended.mailbox).release(executionId, token);
  return true;
}

/**
 * Cancels the mailbox's running sync (disconnect): the lock is freed, the execution ends CANCELLED and,
 * since import writes require a RUNNING execution with the mailbox's current token, nothing more of it
 * is imported.
 */
export async function cancelRunningSync(services: Services, orgId: string, email: string) {
  await lockStub(services, orgId, email).cancel();
  for (const e of await runningExecutions(services.db, orgId, email)) {
    await finishExecution(services, orgId, e.id, e.token, { status: "CANCELLED" });
  }
}
