import { and, eq, sql } from "drizzle-orm";
import { GraphError, GraphThrottledError } from "@/clients/graph/client";
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
import { getDb } from "@/db/client";
import { mailboxSyncExecutions } from "@/db/schema";
import { configNumber } from "@/lib/config";
import { logEvent } from "@/lib/log";
import type { AppEnv } from "@/lib/types";
import { getAccessToken } from "@/services/outlook";
import { microsoftConfig } from "@/services/outlook/config";
import { currentTask, type ImportContext, type ItemOutcome, writeImport } from "./import-writer";
import { maybeFinish, type SyncTask } from "./pipeline";
import { leaseMs, lockStub } from "./sync-lock";

/** Matches `max_retries` of the consumer in wrangler.toml: the last attempt gives up cleanly. */
const QUEUE_MAX_RETRIES = 5;
/** Graph throttling re-sends (not failed attempts) before a task gives up. */
const MAX_THROTTLED = 30;
const DEAD_LETTER_QUEUE = "mailbox-sync-dlq";

export function bodyMaxChars(env: AppEnv): number {
  return Math.floor(configNumber(env.MAILBOX_BODY_MAX_CHARS, 65_536, { positive: true }));
}

/**
 * The queue consumer: each message is acked or retried on its own. Graph 429/503 re-send the task
 * with the Retry-After delay (a new message, so it does not count against max_retries); other
 * transient errors retry with backoff; the last attempt records the failure so the sync still ends.
 * Messages from the dead letter queue only record that failure.
 */
export async function handleQueue(batch: MessageBatch<SyncTask>, env: AppEnv): Promise<void> {
  const deadLetters = batch.queue === DEAD_LETTER_QUEUE;
  await Promise.all(
    batch.messages.map(async (message) => {
      const task = message.body;
      try {
        if (deadLetters) {
          await giveUp(env, task, "The task exhausted its queue retries");
        } else {
          await runTask(env, task);
        }
        message.ack();
      } catch (err) {
        if (err instanceof GraphThrottledError) {
          if ((task.throttled ?? 0) >= MAX_THROTTLED) {
            await giveUp(env, task, err.message);
            message.ack();
            return;
          }
          await env.MAILBOX_SYNC_QUEUE.send(
            { ...task, throttled: (task.throttled ?? 0) + 1 },
            { delaySeconds: Math.max(1, err.retryAfterSeconds) },
          );
          message.ack();
          return;
        }
        log("mailbox_sync_task_failed", task, err, message.attempts);
        if (message.attempts >= QUEUE_MAX_RETRIES) {
          await giveUp(env, task, errorText(err)).catch(() => undefined);
          message.ack();
          return;
        }
        message.retry({ delaySeconds: Math.min(60, 2 ** message.attempts) });
      }
    }),
  );
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 500);

function log(event: string, task: SyncTask, err: unknown, attempts?: number) {
  logEvent("warn", event, {
    orgId: task.orgId,
    executionId: task.executionId,
    kind: task.kind,
    attempts,
    error: err instanceof Error ? err.name : typeof err,
    message: errorText(err),
  });
}

async function runTask(env: AppEnv, task: SyncTask) {
  const ctx: ImportContext = task;
  // A stale task (cancelled, superseded, finished, disconnected) is dropped.
  const current = await currentTask(env.DB, ctx);
  if (!current) return;
  const lock = lockStub(env, task.orgId, task.mailbox);
  if (!(await lock.renew(task.executionId, task.token, leaseMs(env)))) return;
  const config = microsoftConfig(env);
  let token: string;
  try {
    token = await getAccessToken(env, task.orgId, current.tenant_id);
  } catch (err) {
    // No usable connection (disconnected or expired tenant): the work cannot be done.
    await giveUp(env, task, errorText(err));
    return;
  }
  // The mailbox's Durable Object holds the request slots, so Graph's limit of 4 concurrent requests per
  // mailbox holds across every isolate that consumes this mailbox's tasks.
  const slots = {
    async acquire() {
      const slot = await lock.acquireGraphSlot();
      return async () => {
        await lock.releaseGraphSlot(slot);
      };
    },
  };
  const client = graphClient(config.graphBaseUrl, token, task.orgId, task.mailbox, slots);
  const maxChars = bodyMaxChars(env);
  if (task.kind === "page") {
    await setFolder(env, task, task.folder, "RUNNING", ["PENDING"]);
    const pagesDone = task.folder === "inbox" ? current.inbox_pages_done : current.sent_items_pages_done;
    const pageNumber = task.page ?? 0;
    // A redelivered page task whose page was already imported (and its successor sent): nothing to do.
    if (pagesDone > pageNumber) return;
    const url = task.url ?? firstPageUrl(client, task.mailbox, task.folder, current.window_start);
    let page: Awaited<ReturnType<typeof client.page<GraphMessage>>>;
    try {
      page = await client.page<GraphMessage>(url, MESSAGE_PAGE_SIZE);
    } catch (err) {
      if (err instanceof GraphError && !(err instanceof GraphThrottledError) && (err.status < 500 || err.permanent)) {
        // 4xx (no access, no such folder) or a nextLink off the Graph host: enumeration failed.
        await failFolder(env, task, task.folder, err.message);
        return;
      }
      throw err;
    }
    await writeOutcomes(
      env,
      ctx,
      page.value.map((m) => ({ converted: convertMessage(m, task.folder, maxChars), folder: task.folder })),
    );
    if (page.nextLink) {
      let next: string;
      try {
        next = client.assertGraphUrl(page.nextLink);
      } catch (err) {
        await failFolder(env, task, task.folder, errorText(err));
        return;
      }
      // The successor is sent before the page counts as done: a crash in between costs one duplicate
      // task (which finds the page done and stops), never a lost chain.
      await env.MAILBOX_SYNC_QUEUE.send({ ...task, url: next, page: pageNumber + 1, throttled: 0 } satisfies SyncTask);
      await markPageDone(env, task, task.folder, pageNumber);
      return;
    }
    await setFolder(env, task, task.folder, "COMPLETED", ["PENDING", "RUNNING"]);
    await markPageDone(env, task, task.folder, pageNumber);
    await maybeFinish(env, task.orgId, task.executionId);
    return;
  }
  // kind: messages (a retry): each message fetched on its own, at most 4 in flight for the mailbox.
  const throttled: string[] = [];
  let retryAfter = 1;
  const folders = await itemFolders(env, task);
  const results = await Promise.all(
    task.ids.map(async (id): Promise<{ converted: Converted; folder: SyncFolder } | undefined> => {
      const folder = folders.get(id) ?? "inbox";
      try {
        const raw = await client.get<GraphMessage>(messageUrl(client, task.mailbox, id));
        return { converted: convertMessage(raw, folder, maxChars), folder };
      } catch (err) {
        if (err instanceof GraphThrottledError) {
          throttled.push(id);
          retryAfter = Math.max(retryAfter, err.retryAfterSeconds);
          return undefined;
        }
        const error = err instanceof GraphError ? err.message : `Fetching the message failed: ${errorText(err)}`;
        return { converted: { ok: false, graphId: id, error }, folder };
      }
    }),
  );
  const done = results.filter((r): r is { converted: Converted; folder: SyncFolder } => r !== undefined);
  await writeOutcomes(env, ctx, done);
  if (throttled.length > 0) {
    if ((task.throttled ?? 0) >= MAX_THROTTLED) {
      await writeOutcomes(
        env,
        ctx,
        throttled.map((id) => ({
          converted: { ok: false, graphId: id, error: "Microsoft Graph kept throttling" },
          folder: folders.get(id) ?? "inbox",
        })),
      );
    } else {
      await env.MAILBOX_SYNC_QUEUE.send(
        { ...task, ids: throttled, throttled: (task.throttled ?? 0) + 1 },
        { delaySeconds: Math.max(1, retryAfter) },
      );
      return;
    }
  }
  await completeRetryFolders(env, task);
  await maybeFinish(env, task.orgId, task.executionId);
}

async function writeOutcomes(env: AppEnv, ctx: ImportContext, results: { converted: Converted; folder: SyncFolder }[]) {
  const rows = results.flatMap((r) => (r.converted.ok ? [r.converted.row] : []));
  const outcomes: ItemOutcome[] = results
    .map(({ converted, folder }): ItemOutcome => {
      if (converted.ok) return { graph_id: converted.row.graph_id, folder };
      return { graph_id: converted.graphId, folder, error: converted.error };
    })
    // A message without an id cannot be tracked (or retried); it is logged instead.
    .filter((o) => o.graph_id !== "");
  if (outcomes.length < results.length) {
    logEvent("warn", "mailbox_sync_message_without_id", { executionId: ctx.executionId });
  }
  await writeImport(env.DB, ctx, rows, outcomes);
}

async function itemFolders(env: AppEnv, task: SyncTask): Promise<Map<string, SyncFolder>> {
  if (task.kind !== "messages") return new Map();
  const { results } = await env.DB.prepare(
    `SELECT graph_id, folder FROM mailbox_sync_items
     WHERE org_id = ?1 AND mailbox = ?2 AND graph_id IN (SELECT value FROM json_each(?3))`,
  )
    .bind(task.orgId, task.mailbox, JSON.stringify(task.ids))
    .all<{ graph_id: string; folder: SyncFolder }>();
  return new Map(results.map((r) => [r.graph_id, r.folder]));
}

const folderColumn = (folder: SyncFolder) =>
  folder === "inbox" ? mailboxSyncExecutions.inboxStatus : mailboxSyncExecutions.sentItemsStatus;

/** Records that a folder's page `page` is imported; monotonic, so duplicates racing cannot move it back. */
async function markPageDone(env: AppEnv, task: SyncTask, folder: SyncFolder, page: number) {
  const column = folder === "inbox" ? "inbox_pages_done" : "sent_items_pages_done";
  await env.DB.prepare(
    `UPDATE mailbox_sync_executions SET ${column} = MAX(${column}, ?1) WHERE org_id = ?2 AND id = ?3 AND fencing_token = ?4`,
  )
    .bind(page + 1, task.orgId, task.executionId, task.token)
    .run();
}

async function setFolder(
  env: AppEnv,
  task: SyncTask,
  folder: SyncFolder,
  status: "RUNNING" | "COMPLETED" | "FAILED",
  from: string[],
  error?: string,
) {
  const column = folderColumn(folder);
  await getDb(env.DB)
    .update(mailboxSyncExecutions)
    .set({
      ...(folder === "inbox" ? { inboxStatus: status } : { sentItemsStatus: status }),
      ...(error && { error: `${folder}: ${error}`.slice(0, 1000) }),
      updatedAt: new Date().toISOString(),
    })
    .where(
      and(
        eq(mailboxSyncExecutions.orgId, task.orgId),
        eq(mailboxSyncExecutions.id, task.executionId),
        eq(mailboxSyncExecutions.status, "RUNNING"),
        eq(mailboxSyncExecutions.fencingToken, task.token),
        sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(from)}))`,
      ),
    );
}

async function failFolder(env: AppEnv, task: SyncTask, folder: SyncFolder, error: string) {
  await setFolder(env, task, folder, "FAILED", ["PENDING", "RUNNING"], error);
  await maybeFinish(env, task.orgId, task.executionId);
}

/** A retry's folders are complete once none of their messages waits. */
async function completeRetryFolders(env: AppEnv, task: SyncTask) {
  const { results } = await env.DB.prepare(
    `SELECT DISTINCT folder FROM mailbox_sync_items WHERE org_id = ?1 AND execution_id = ?2 AND status = 'PENDING'`,
  )
    .bind(task.orgId, task.executionId)
    .all<{ folder: SyncFolder }>();
  const waiting = new Set(results.map((r) => r.folder));
  for (const folder of SYNC_FOLDERS) {
    if (!waiting.has(folder)) await setFolder(env, task, folder, "COMPLETED", ["RUNNING"]);
  }
}

/** Records that a task cannot be done: a folder's enumeration FAILED, or a retry's messages failed. */
async function giveUp(env: AppEnv, task: SyncTask, error: string) {
  if (task.kind === "page") {
    await failFolder(env, task, task.folder, error);
    return;
  }
  const folders = await itemFolders(env, task);
  await writeOutcomes(
    env,
    task,
    task.ids.map((id) => ({ converted: { ok: false, graphId: id, error }, folder: folders.get(id) ?? "inbox" })),
  );
  await completeRetryFolders(env, task);
  await maybeFinish(env, task.orgId, task.executionId);
}
