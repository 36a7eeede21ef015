import { expandedAttachments } from "@/clients/graph/attachments";
import { GraphError, GraphThrottledError, type RequestSlots } from "@/clients/graph/client";
import {
  type Converted,
  convertMessage,
  firstPageUrl,
  type GraphMessage,
  graphClient,
  MESSAGE_PAGE_SIZE,
  messageUrl,
  SYNC_FOLDERS,
  type SyncFolder,
} from "@/clients/graph/mail";
import { dropContentOf, dropSkippedContent, dropUnclaimedContent, storeBatch } from "@/db/message-store";
import { kickWebhookDeliveries } from "@/db/outbox";
import { getAccessToken } from "@/features/outlook";
import { logEvent } from "@/lib/log";
import { type QueueWork, RetryLater } from "@/lib/queue-work";
import type { Services } from "@/lib/services";
import { giveUpLiveTask, runLiveTask } from "../live/run";
import { MailboxMovingError } from "../live/writer";
import { mailHomeOf, rowChecks, withSearchBodies } from "../mail-home";
import { runMoveTask } from "../move";
import { purgeMailboxMail } from "../purge";
import { setFolderStatus } from "./executions";
import { findImportItems, foldersWithPending } from "./import-items";
import { type ImportContext, type ItemOutcome, writeImport, writeImportToObject } from "./import-writer";
import { leaseMs } from "./lease";
import { lockStub } from "./lock-stub";
import { currentTask, markPageDone } from "./mailbox-sync-executions.store";
import { maybeFinish } from "./pipeline";
import type { ExecutionTask, MessagesTask, PageTask, SyncTask } from "./tasks";

/** How long a live task waits for a mailbox's move before it tries again. */
const MOVE_WAIT_SECONDS = 30;

/** Graph throttling re-sends (not failed attempts) before a task gives up. */
const MAX_THROTTLED = 30;

/**
 * The `mailbox-sync` queue's work (src/entry/queues.ts acknowledges, retries and gives up): Graph 429/503
 * re-send the task after Graph's Retry-After (a new message, so it does not count as a failed attempt),
 * up to MAX_THROTTLED times; what cannot be done records the failure, so the sync still ends.
 */
export function syncTaskWork(services: Services): QueueWork<SyncTask> {
  return {
    exhaustedReason: "The task exhausted its queue retries",
    logFailure: (task, err, attempts) =>
      logEvent("warn", "mailbox_sync_task_failed", {
        orgId: task.orgId,
        ...(task.kind === "live"
          ? { runId: task.runId }
          : task.kind === "purge" || task.kind === "move"
            ? {}
            : { executionId: task.executionId }),
        kind: task.kind,
        attempts,
        error: err instanceof Error ? err.name : typeof err,
        message: errorText(err),
      }),
    async run(task) {
      try {
        await runTask(services, task);
      } catch (err) {
        // A live page waits for the move of the mailbox's mail into its object (minutes at most).
        if (err instanceof MailboxMovingError) throw new RetryLater(MOVE_WAIT_SECONDS, task);
        if (!(err instanceof GraphThrottledError)) throw err;
        const throttled = task.throttled ?? 0;
        if (throttled >= MAX_THROTTLED) return giveUp(services, task, err.message);
        throw new RetryLater(err.retryAfterSeconds, { ...task, throttled: throttled + 1 });
      }
    },
    giveUp: (task, reason) => giveUp(services, task, reason),
  };
}

/** Re-sends a task after Graph's Retry-After delay (a new message: not a failed attempt). */
const resend = (services: Services, task: SyncTask, retryAfterSeconds: number) =>
  services.queues.mailboxSync.send(task, { delaySeconds: Math.max(1, retryAfterSeconds) });

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 500);

async function runTask(services: Services, task: SyncTask) {
  if (task.kind === "live") return runLiveTask(services, task);
  if (task.kind === "purge") return void (await purgeMailboxMail(services, task.orgId, task.mailbox));
  if (task.kind === "move") return runMoveTask(services, task);
  const run = await openTask(services, task);
  if (!run) return;
  if (task.kind === "page") await runPageTask(services, task, run);
  else await runMessagesTask(services, task, run);
}

type TaskRun = NonNullable<Awaited<ReturnType<typeof openTask>>>;

/**
 * What every task needs before it talks to Graph: its execution still current (a stale task, i.e.
 * cancelled, superseded, finished or disconnected, is dropped), its lease renewed, an access token and
 * a Graph client. Null when the task is to be dropped (or, without a usable connection, given up).
 */
async function openTask(services: Services, task: ExecutionTask) {
  const current = await currentTask(services.d1, task);
  if (!current) return null;
  const lock = lockStub(services, task.orgId, task.mailbox);
  if (!(await lock.renew(task.executionId, task.token, leaseMs(services)))) return null;
  let token: string;
  try {
    token = await getAccessToken(services, task.orgId, current.tenant_id);
  } catch (err) {
    // No usable connection (disconnected or expired tenant): the work cannot be done.
    await giveUp(services, task, errorText(err));
    return null;
  }
  // The mailbox's Durable Object holds the request slots, so Graph's limit of 4 concurrent requests per
  // mailbox holds across every isolate that consumes this mailbox's tasks.
  const slots: RequestSlots = {
    async acquire() {
      const slot = await lock.acquireGraphSlot();
      return async () => {
        await lock.releaseGraphSlot(slot);
      };
    },
  };
  const config = services.config;
  return {
    current,
    client: graphClient(config.MS_GRAPH_BASE_URL, token, task.orgId, task.mailbox, slots),
    attachmentMaxBytes: config.MAILBOX_ATTACHMENT_MAX_BYTES,
  };
}

/** Bodies are stored whole (in the message store), never cut. */
const WHOLE_BODY = Number.MAX_SAFE_INTEGER;

/** One page of a folder: its messages are imported, then the next page is queued or the folder is done. */
async function runPageTask(services: Services, task: PageTask, run: TaskRun) {
  const { current, client } = run;
  const execution = { orgId: task.orgId, executionId: task.executionId, token: task.token };
  await setFolderStatus(services, execution, task.folder, { status: "RUNNING", from: ["PENDING"] });
  const pagesDone = task.folder === "inbox" ? current.inbox_pages_done : current.sent_items_pages_done;
  const pageNumber = task.page ?? 0;
  // A redelivered page task whose page was already imported (and its successor sent): nothing to do.
  if (pagesDone > pageNumber) return;
  const url = task.url ?? firstPageUrl(client, task.mailbox, task.folder, current.window_start);
  let page: Awaited<ReturnType<typeof client.page<GraphMessage>>>;
  const readAt = new Date().toISOString();
  try {
    page = await client.page<GraphMessage>(url, MESSAGE_PAGE_SIZE);
  } catch (err) {
    if (err instanceof GraphError && !(err instanceof GraphThrottledError) && (err.status < 500 || err.permanent)) {
      // 4xx (no access, no such folder) or a nextLink off the Graph host: enumeration failed.
      await failFolder(services, task, task.folder, err.message);
      return;
    }
    throw err;
  }
  const folder = task.folder;
  await writeOutcomes(
    services,
    task,
    page.value.map((m) => fetchedMessage(m, folder)),
    run,
    readAt,
  );
  if (!page.nextLink) {
    await setFolderStatus(services, execution, folder, { status: "COMPLETED", from: ["PENDING", "RUNNING"] });
    await markPageDone(services.d1, execution, folder, pageNumber);
    await maybeFinish(services, task.orgId, task.executionId);
    return;
  }
  let next: string;
  try {
    next = client.assertGraphUrl(page.nextLink);
  } catch (err) {
    await failFolder(services, task, folder, errorText(err));
    return;
  }
  // The successor is sent before the page counts as done: a crash in between costs one duplicate
  // task (which finds the page done and stops), never a lost chain.
  await services.queues.mailboxSync.send({ ...task, url: next, page: pageNumber + 1, throttled: 0 } satisfies SyncTask);
  await markPageDone(services.d1, execution, folder, pageNumber);
}

/** A message as Graph returned it: converted, and the attachment list Graph expanded into it (or null). */
type FetchedMessage = { converted: Converted; folder: SyncFolder; attachments?: unknown[] | null };

const fetchedMessage = (raw: GraphMessage, folder: SyncFolder): FetchedMessage => ({
  converted: convertMessage(raw, folder, WHOLE_BODY),
  folder,
  attachments: expandedAttachments(raw),
});

/** A retry's messages, each fetched on its own (at most 4 in flight for the mailbox). */
async function runMessagesTask(services: Services, task: MessagesTask, run: TaskRun) {
  const { client } = run;
  const folders = await itemFolders(services, task);
  const throttled: string[] = [];
  let retryAfter = 1;
  const readAt = new Date().toISOString();
  const fetched = await Promise.all(
    task.ids.map(async (id): Promise<FetchedMessage | undefined> => {
      const folder = folders(id);
      try {
        return fetchedMessage(await client.get<GraphMessage>(messageUrl(client, task.mailbox, id)), folder);
      } catch (err) {
        if (!(err instanceof GraphThrottledError)) return { converted: fetchFailed(id, err), folder };
        throttled.push(id);
        retryAfter = Math.max(retryAfter, err.retryAfterSeconds);
        return undefined;
      }
    }),
  );
  await writeOutcomes(
    services,
    task,
    fetched.filter((r) => r !== undefined),
    run,
    readAt,
  );
  if (throttled.length > 0) {
    const count = task.throttled ?? 0;
    if (count < MAX_THROTTLED) {
      await resend(services, { ...task, ids: throttled, throttled: count + 1 }, retryAfter);
      return;
    }
    await failMessages(services, task, throttled, "Microsoft Graph kept throttling");
    return;
  }
  await endMessagesTask(services, task);
}

function fetchFailed(id: string, err: unknown): Converted {
  const error = err instanceof GraphError ? err.message : `Fetching the message failed: ${errorText(err)}`;
  return { ok: false, graphId: id, error };
}

/**
 * Stores the imported messages (content into the message store, where HTML bodies are sanitized once;
 * metadata into D1) and the outcome of every message, in one transaction. A message whose content
 * (an attachment) could not be stored is a failed message, retried as any other.
 */
async function writeOutcomes(
  services: Services,
  ctx: ImportContext,
  results: FetchedMessage[],
  run?: TaskRun,
  readAt?: string,
) {
  const home = await mailHomeOf(services, ctx.orgId, ctx.mailbox);
  const owner = { orgId: ctx.orgId, mailbox: ctx.mailbox };
  const object = home.store === "object" ? lockStub(services, ctx.orgId, ctx.mailbox) : null;
  const checks = home.store === "object" && object ? rowChecks(services, home, object, owner) : null;
  const converted = results.flatMap(({ converted: c }) => (c.ok ? [c.row] : []));
  const expanded = new Map(
    results.flatMap(({ converted: c, attachments }) => (c.ok && attachments ? [[c.row.graph_id, attachments]] : [])),
  );
  const store = await storeBatch(converted, {
    services,
    orgId: ctx.orgId,
    mailbox: ctx.mailbox,
    graph: run?.client ?? null,
    attachmentMaxBytes: run?.attachmentMaxBytes ?? 0,
    expandedAttachments: expanded,
    ...(checks && { hasRow: checks.hasRow }),
  });
  const storeFailed = new Map(store.failed.map((f) => [f.graph_id, f.error]));
  const outcomes: ItemOutcome[] = results
    .map(({ converted, folder }): ItemOutcome => {
      if (!converted.ok) return { graph_id: converted.graphId, folder, error: converted.error };
      const error = storeFailed.get(converted.row.graph_id);
      return { graph_id: converted.row.graph_id, folder, ...(error && { error }) };
    })
    // A message without an id cannot be tracked (or retried); it is logged instead.
    .filter((o) => o.graph_id !== "");
  if (outcomes.length < results.length) {
    logEvent("warn", "mailbox_sync_message_without_id", { executionId: ctx.executionId });
  }
  const storedIds = store.stored.map((row) => row.graph_id);
  if (home.store === "object") {
    const page = { rows: withSearchBodies(store.stored, converted), outcomes, attachments: store.attachments };
    const write = await writeImportToObject(services, ctx, home, page, readAt);
    // Refused (a stale task): after a disconnect, what this attempt stored has no row to claim it.
    if (write.refused) {
      await dropUnclaimedContent(services, ctx.orgId, ctx.mailbox, storedIds, checks?.withoutRow);
    } else if (write.withoutRow.length > 0) {
      // Skipped: live sync saw these removed meanwhile.
      await dropContentOf(services, ctx.orgId, ctx.mailbox, write.withoutRow);
    }
    return;
  }
  const write = await writeImport(services.d1, ctx, store.stored, outcomes, store.attachments, readAt);
  // Refused (a stale task): after a disconnect, what this attempt stored has no row to claim it.
  if (write.refused) {
    await dropUnclaimedContent(services, ctx.orgId, ctx.mailbox, storedIds);
    return;
  }
  if (write.inserted < store.stored.length) {
    await dropSkippedContent(services, ctx.orgId, ctx.mailbox, storedIds);
  }
  // The page's message.received events were written in its batch; send them now rather than at the sweep.
  await kickWebhookDeliveries(services, ctx.orgId);
}

/** The folder of each message of a retry task (Inbox when unknown). */
async function itemFolders(services: Services, task: MessagesTask): Promise<(id: string) => SyncFolder> {
  const items = await findImportItems(services, { orgId: task.orgId, mailbox: task.mailbox, ids: task.ids });
  const folders = new Map(items.map((item) => [item.graphId, item.folder]));
  return (id) => folders.get(id) ?? "inbox";
}

async function failFolder(services: Services, task: ExecutionTask, folder: SyncFolder, error: string) {
  await setFolderStatus(services, task, folder, { status: "FAILED", from: ["PENDING", "RUNNING"], error });
  await maybeFinish(services, task.orgId, task.executionId);
}

/** Records that these messages of a retry task failed, then ends the task. */
async function failMessages(services: Services, task: MessagesTask, ids: string[], error: string) {
  const folders = await itemFolders(services, task);
  await writeOutcomes(
    services,
    task,
    ids.map((id) => ({ converted: { ok: false, graphId: id, error }, folder: folders(id) })),
  );
  await endMessagesTask(services, task);
}

/** A retry's folders are complete once none of their messages waits; then the execution may end. */
async function endMessagesTask(services: Services, task: MessagesTask) {
  const waiting = await foldersWithPending(services, task, task.executionId);
  for (const folder of SYNC_FOLDERS) {
    if (!waiting.has(folder)) await setFolderStatus(services, task, folder, { status: "COMPLETED", from: ["RUNNING"] });
  }
  await maybeFinish(services, task.orgId, task.executionId);
}

/** Records that a task cannot be done: a folder's enumeration FAILED, or a retry's messages failed. */
async function giveUp(services: Services, task: SyncTask, error: string) {
  if (task.kind === "live") await giveUpLiveTask(services, task, error);
  else if (task.kind === "purge") logEvent("error", "outlook_mailbox_mail_delete_failed", { orgId: task.orgId, error });
  // The hourly cron queues a mailbox that is still moving again.
  else if (task.kind === "move") logEvent("error", "mailbox_move_failed", { orgId: task.orgId, error });
  else if (task.kind === "page") await failFolder(services, task, task.folder, error);
  else await failMessages(services, task, task.ids, error);
}
