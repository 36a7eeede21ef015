import type { SyncFolder } from "@/clients/graph/mail";
import type { Database } from "@/db/client";
import { eventStatements, kickWebhookDeliveries } from "@/db/outbox";
import type {
  FolderCounters,
  MailboxFolderStatusValue,
  MailboxSyncExecutionRow,
  MailboxSyncStatusValue,
} from "@/db/schema";
import { fenceMailbox } from "@/db/stores/outlook-mailboxes.store";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import { mailHomeOf } from "../mail-home";
import { itemCounts } from "./import-items";
import { lockStub } from "./lock-stub";
import {
  endExecutionStatement,
  findExecution,
  insertExecutionStatement,
  setFolderStatusStatement,
} from "./mailbox-sync-executions.store";
import { dropImportedItems, moveFailedItems } from "./mailbox-sync-items.store";

/**
 * The executions of a mailbox's syncs (`mailbox_sync_executions`): every write to them is decided here
 * (the statements are in the table's store). An execution is opened with the fencing token of its lease,
 * its folders move PENDING -> RUNNING -> COMPLETED / FAILED (or are SKIPPED), and it ends once (a
 * conditional update), with its counters snapshotted. Releasing the lease is the caller's part (the
 * pipeline), or, for an abandoned lease, the lock's own.
 */

export type ExecutionOutcome = { status: Exclude<MailboxSyncStatusValue, "RUNNING">; error?: string };

export interface OpenedRun {
  executionId: string;
  token: number;
}

/** What distinguishes a sync from a retry when it is opened. */
export interface ExecutionSpec {
  kind: "sync" | "retry";
  timeframe: MailboxSyncExecutionRow["timeframe"];
  windowStart: string;
  inboxStatus: MailboxFolderStatusValue;
  sentItemsStatus: MailboxFolderStatusValue;
  /** A retry: the execution whose FAILED messages (`retryIds` of them) move to the new one. */
  retryOf?: { executionId: string; ids: readonly string[] };
}

/**
 * Stores a new RUNNING execution and, in the same batch, records its token on the mailbox (fencing)
 * and moves a retry's FAILED items to it. Answers false for `connected` when the mailbox is gone, and
 * the ids of the items moved.
 */
export async function insertExecution(
  services: Pick<Services, "db" | "mailboxObjects">,
  orgId: string,
  mailbox: string,
  run: OpenedRun,
  spec: ExecutionSpec,
): Promise<{ connected: boolean; movedIds: string[] }> {
  const db = services.db;
  const now = new Date().toISOString();
  const insert = insertExecutionStatement(
    db,
    {
      id: run.executionId,
      orgId,
      mailbox,
      kind: spec.kind,
      retryOf: spec.retryOf?.executionId ?? null,
      timeframe: spec.timeframe,
      fencingToken: run.token,
      windowStart: spec.windowStart,
      inboxStatus: spec.inboxStatus,
      sentItemsStatus: spec.sentItemsStatus,
    },
    now,
  );
  const fence = fenceMailbox(db, orgId, mailbox, run.token);
  const retryOf = spec.retryOf;
  const home = retryOf ? await mailHomeOf(services, orgId, mailbox) : null;
  if (!retryOf || home?.store === "object") {
    const [, fenced] = await db.batch([insert, fence]);
    if (!retryOf || fenced.length === 0) return { connected: fenced.length > 0, movedIds: [] };
    // The mailbox's object moves the items under the new execution's lease (granted before this).
    const moved = await lockStub(services, orgId, mailbox).moveFailedItems(
      { orgId, mailbox },
      run,
      retryOf.executionId,
      [...retryOf.ids],
      now,
    );
    return { connected: true, movedIds: moved ?? [] };
  }
  const move = moveFailedItems(db, { orgId, mailbox }, retryOf.executionId, run.executionId, retryOf.ids, now);
  const [, moved, fenced] = await db.batch([insert, move, fence]);
  return { connected: fenced.length > 0, movedIds: moved.map((m) => m.graphId) };
}

// ---------------------------------------------------------------------------------------------------
// Counters

const emptyCounters = (): FolderCounters => ({ total_messages: 0, processed_messages: 0, failed_messages: 0 });

export type LiveCounters = Record<SyncFolder, FolderCounters> & { pending: number };

/** Live per-folder counters of an execution, from the import state of its messages. */
export async function liveCounters(
  services: Services,
  e: Pick<MailboxSyncExecutionRow, "orgId" | "mailbox" | "id">,
): Promise<LiveCounters> {
  const results = await itemCounts(services, { orgId: e.orgId, mailbox: e.mailbox }, e.id);
  const counters = { inbox: emptyCounters(), sentitems: emptyCounters(), pending: 0 };
  for (const { folder, status, n } of results) {
    // Removed from the mailbox before it was imported: no longer part of what this import covers.
    if (status === "REMOVED") continue;
    const c = counters[folder];
    c.total_messages += n;
    if (status === "IMPORTED") c.processed_messages += n;
    if (status === "FAILED" || status === "PERMANENTLY_FAILED") c.failed_messages += n;
    if (status === "PENDING") counters.pending += n;
  }
  return counters;
}

/** The counters of an execution: the snapshot once it ended, live while it runs. */
export async function executionCounters(services: Services, e: MailboxSyncExecutionRow) {
  if (e.inboxCounters && e.sentItemsCounters) return { inbox: e.inboxCounters, sentitems: e.sentItemsCounters };
  return liveCounters(services, e);
}

// ---------------------------------------------------------------------------------------------------
// Progress of a running execution (writes of its current lease only)

/** Moves a folder of the lease's running execution to `status` if it is in one of the `from` states. */
export async function setFolderStatus(
  services: Services,
  run: OpenedRun & { orgId: string },
  folder: SyncFolder,
  change: { status: "RUNNING" | "COMPLETED" | "FAILED"; from: MailboxFolderStatusValue[]; error?: string },
) {
  await setFolderStatusStatement(services.db, run, folder, change);
}

// ---------------------------------------------------------------------------------------------------
// The end

const FOLDER_DONE: MailboxFolderStatusValue[] = ["COMPLETED", "FAILED", "SKIPPED"];

/**
 * How a running execution ends now, with the counters read for it; null while a folder or a message
 * still waits (or when it is not running). COMPLETED, COMPLETED_WITH_ERRORS (some messages failed) or
 * FAILED (a folder's enumeration failed).
 */
export async function readyToEnd(services: Services, orgId: string, executionId: string) {
  const e = await findExecution(services.db, orgId, executionId);
  if (e?.status !== "RUNNING") return null;
  if (!FOLDER_DONE.includes(e.inboxStatus) || !FOLDER_DONE.includes(e.sentItemsStatus)) return null;
  const live = await liveCounters(services, e);
  if (live.pending > 0) return null;
  const failed = live.inbox.failed_messages + live.sentitems.failed_messages;
  const status: ExecutionOutcome["status"] =
    e.inboxStatus === "FAILED" || e.sentItemsStatus === "FAILED"
      ? "FAILED"
      : failed > 0
        ? "COMPLETED_WITH_ERRORS"
        : "COMPLETED";
  return { outcome: { status }, token: e.fencingToken, live };
}

/** The `mailbox.sync.completed` / `.failed` event of an execution ending with `outcome` and `counters`. */
function endedEvent(e: MailboxSyncExecutionRow, outcome: ExecutionOutcome, counters: LiveCounters) {
  const completed = outcome.status === "COMPLETED" || outcome.status === "COMPLETED_WITH_ERRORS";
  const error = outcome.error ?? e.error ?? (outcome.status === "CANCELLED" ? "The sync was cancelled" : null);
  return {
    orgId: e.orgId,
    type: completed ? ("mailbox.sync.completed" as const) : ("mailbox.sync.failed" as const),
    data: {
      mailbox: e.mailbox,
      sync_id: e.id,
      status: outcome.status,
      counters: { inbox: counters.inbox, sent_items: counters.sentitems },
      error: completed ? null : (error?.slice(0, 1000) ?? null),
    },
  };
}

/**
 * Ends a running execution once (conditional), storing its counters (`live`, when the caller just read
 * them), and in the same batch emits `mailbox.sync.completed` (COMPLETED, COMPLETED_WITH_ERRORS) or
 * `mailbox.sync.failed` (FAILED, CANCELLED) with them: only when the conditional update ended it, so a
 * redelivered task ending it again emits nothing. Answers the mailbox of the execution it ended, or null
 * when it was not running any more.
 */
export async function endExecution(
  services: Services,
  orgId: string,
  executionId: string,
  outcome: ExecutionOutcome,
  live?: LiveCounters,
): Promise<{ mailbox: string } | null> {
  const db = services.db;
  const e = await findExecution(db, orgId, executionId);
  if (e?.status !== "RUNNING") return null;
  const counters = live ?? (await liveCounters(services, e));
  const now = new Date().toISOString();
  const end = endExecutionStatement(db, orgId, executionId, { ...outcome, counters }, now);
  // The events right after the update (they are written only if it changed a row: `changes()`).
  const [[ended]] = await db.batch([
    end,
    ...eventStatements(db, endedEvent(e, outcome, counters)),
    dropImportedItems(db, orgId, executionId),
  ]);
  if (!ended) return null;
  // A mailbox whose mail is in its object keeps the items there (D1's went in the batch above).
  const home = await mailHomeOf(services, orgId, e.mailbox);
  if (home.store === "object") {
    await lockStub(services, orgId, e.mailbox).dropEndedItems({ orgId, mailbox: e.mailbox }, executionId);
  }
  await kickWebhookDeliveries(services, orgId);
  return ended;
}

/** A lease lapsed without a release (a crashed or lost run): its execution ends FAILED, if still running. */
export async function abandonExecution(services: Services, orgId: string, executionId: string): Promise<void> {
  await endExecution(services, orgId, executionId, {
    status: "FAILED",
    error: "The sync was abandoned: its lease expired without progress",
  });
  logEvent("warn", "mailbox_sync_lease_expired", { orgId, executionId });
}
