import type { SyncFolder } from "@/clients/graph/mail";
import type { Services } from "@/lib/services";

/**
 * Queue messages of the import pipeline. They carry ids and cursors only (a queue message holds at
 * most 128 KB): a `page` task is one page of a folder (its Graph URL is the cursor; absent for the
 * first page), a `messages` task is up to MESSAGES_PER_TASK message ids fetched one by one (retries).
 * `throttled` counts Graph 429/503 re-sends, which are not failed attempts.
 */
export type SyncTask = PageTask | MessagesTask | LiveTask | PurgeTask | MoveTask;

/**
 * A step of the move of a mailbox's mail from D1 into its Durable Object (mailboxes/move.ts): it moves a few
 * chunks and sends itself again until the mailbox is done.
 */
export interface MoveTask {
  kind: "move";
  orgId: string;
  mailbox: string;
  inboxId: string;
  throttled?: number;
}

/**
 * The deletion of a disconnected mailbox's imported mail (disconnectOutlookMailbox `deleteImportedMail`)
 * when it could not finish inside the request: retried by the queue until it has (mailboxes/purge.ts).
 */
export interface PurgeTask {
  kind: "purge";
  orgId: string;
  mailbox: string;
  throttled?: number;
}

/**
 * One delta run of live sync (src/features/mailboxes/live/): its subscriptions' upkeep when due, then a
 * delta round per folder. `runId` is the run the mailbox's Durable Object granted; a task of any other
 * run (superseded, disconnected) is dropped.
 */
export interface LiveTask {
  kind: "live";
  orgId: string;
  mailbox: string;
  runId: string;
  throttled?: number;
}

/** The tasks of an execution (import or retry). */
export type ExecutionTask = PageTask | MessagesTask;

interface TaskBase {
  orgId: string;
  mailbox: string;
  executionId: string;
  token: number;
  throttled?: number;
}

export interface PageTask extends TaskBase {
  kind: "page";
  folder: SyncFolder;
  url?: string;
  /** Position of this page in the folder's chain (0, or absent, for the first page). */
  page?: number;
}

export interface MessagesTask extends TaskBase {
  kind: "messages";
  ids: string[];
}

/** Message ids per `messages` task. */
const MESSAGES_PER_TASK = 50;
/** sendBatch takes at most 100 messages per call. */
const SEND_BATCH_MAX = 100;

/** The `messages` tasks that fetch `ids` one by one. */
export function messageTasks(base: TaskBase, ids: string[]): MessagesTask[] {
  const tasks: MessagesTask[] = [];
  for (let i = 0; i < ids.length; i += MESSAGES_PER_TASK) {
    tasks.push({ kind: "messages", ...base, ids: ids.slice(i, i + MESSAGES_PER_TASK) });
  }
  return tasks;
}

/** Sends tasks to the queue, in as few sendBatch calls as it allows. */
export async function enqueue(services: Pick<Services, "queues">, tasks: SyncTask[]): Promise<void> {
  for (let i = 0; i < tasks.length; i += SEND_BATCH_MAX) {
    await services.queues.mailboxSync.sendBatch(tasks.slice(i, i + SEND_BATCH_MAX).map((body) => ({ body })));
  }
}
