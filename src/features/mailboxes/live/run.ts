import { type GraphClient, GraphError, GraphThrottledError, type RequestSlots } from "@/clients/graph/client";
import { deltaPage, initialDeltaUrl, isDeltaExpired } from "@/clients/graph/live";
import { graphClient, SYNC_FOLDERS, type SyncFolder } from "@/clients/graph/mail";
import { findMailbox } from "@/db/stores/outlook-mailboxes.store";
import { getAccessToken, OutlookTokenUnavailableError } from "@/features/outlook";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import { lockStub } from "../sync/lock-stub";
import type { LiveTask } from "../sync/tasks";
import { stopLive } from "./live";
import type { ResyncRound } from "./resync-sweep";
import { type FolderCursor, RESYNC_LOOKBACK_MS } from "./state";
import { deleteSubscriptions, maintainSubscriptions, type Plan } from "./subscriptions";
import { type LiveWrite, writeDeltaPage } from "./writer";

/**
 * One delta run of a mailbox (a `live` queue task): the run must still be the one the mailbox's Durable
 * Object granted; the delegated token is fetched (an unusable connection stops live sync until the tenant
 * is reconnected: no retries, no polls); the subscriptions get their upkeep when due; then each folder's
 * delta round continues from its stored link, page by page, each page written (one transaction) before
 * its successor link is stored, so a crash replays at most one page, idempotently. An expired delta token
 * starts a fresh round (resync) that the writer dedupes; its end tombstones the stored messages of its window
 * it did not list (deleted meanwhile; resync-sweep.ts). Graph requests take the mailbox's 4 slots.
 */

/** Pages per folder and run; a longer round continues in the next run (queued right away). */
const MAX_PAGES_PER_RUN = 20;
/**
 * Removal lookups per folder and run (each is a Graph request plus the mailbox's slot calls): a bulk
 * deletion of stored mail continues in the next run rather than nearing the invocation's subrequest limit.
 */
const MAX_LOOKUPS_PER_RUN = 500;

type Lock = ReturnType<typeof lockStub>;
type FolderResult = "stale" | { more?: boolean; error?: string };

function objectSlots(lock: Lock): RequestSlots {
  return {
    async acquire() {
      const slot = await lock.acquireGraphSlot();
      return async () => {
        await lock.releaseGraphSlot(slot);
      };
    },
  };
}

export async function runLiveTask(services: Services, task: LiveTask): Promise<void> {
  const lock = lockStub(services, task.orgId, task.mailbox);
  const plan = (await lock.beginLiveRun(task.runId)) as Plan | null;
  if (!plan) return;
  if (!(await findMailbox(services.db, plan.orgId, plan.mailbox))) {
    // Disconnected while its object could not be told: live sync stops here, subscriptions included.
    await stopLive(services, plan.orgId, plan.mailbox);
    return;
  }
  let token: string;
  try {
    token = await getAccessToken(services, plan.orgId, plan.tenantId);
  } catch (err) {
    if (!(err instanceof OutlookTokenUnavailableError)) throw err;
    await lock.finishLiveRun(task.runId, { reconnectRequired: true, error: err.message });
    return;
  }
  const slots = objectSlots(lock);
  if (plan.subscriptionWork && !(await upkeepSubscriptions(services, lock, plan, task.runId, slots))) return;
  const client = graphClient(services.config.MS_GRAPH_BASE_URL, token, plan.orgId, plan.mailbox, slots);
  let more = false;
  let error: string | undefined;
  for (const folder of SYNC_FOLDERS) {
    const result = await syncFolder(services, lock, client, plan, folder, task.runId);
    if (result === "stale") return;
    more ||= result.more === true;
    error ??= result.error;
  }
  await lock.finishLiveRun(task.runId, { more, error });
}

/** The queue gave up on the run (last attempt, dead letter): the object records it and schedules the next. */
export async function giveUpLiveTask(services: Services, task: LiveTask, error: string) {
  await lockStub(services, task.orgId, task.mailbox).finishLiveRun(task.runId, { error });
}

/** False when the run lost its grant meanwhile (what it created is deleted again). */
async function upkeepSubscriptions(services: Services, lock: Lock, plan: Plan, runId: string, slots: RequestSlots) {
  const update = await maintainSubscriptions(services, plan, await lock.objectId(), slots);
  const notIn = (list: { id: string }[]) => (s: { id: string }) => !list.some((other) => other.id === s.id);
  if (await lock.recordLiveSubscriptions(runId, update)) {
    // Subscriptions no longer kept (notifications switched off): deleted at Graph, best effort.
    const dropped = plan.subscriptions.filter(notIn(update.subscriptions));
    await deleteSubscriptions(services, { ...plan, ids: dropped.map((s) => s.id) });
    return true;
  }
  const created = update.subscriptions.filter(notIn(plan.subscriptions));
  await deleteSubscriptions(services, { ...plan, ids: created.map((s) => s.id) });
  return false;
}

/** Where a resync after an expired token starts: a week before the last complete round, never before `since`. */
function resyncSince(plan: Plan, cursor: FolderCursor): string {
  const from = (cursor.lastRoundAt ?? Date.now()) - RESYNC_LOOKBACK_MS;
  return new Date(Math.max(Date.parse(plan.since), from)).toISOString();
}

function newResyncRound(plan: Plan, cursor: FolderCursor): ResyncRound {
  return { round: crypto.randomUUID(), since: resyncSince(plan, cursor), startedAt: new Date().toISOString() };
}

async function syncFolder(
  services: Services,
  lock: Lock,
  client: GraphClient,
  plan: Plan,
  folder: SyncFolder,
  runId: string,
): Promise<FolderResult> {
  const cursor = plan.folders[folder];
  const roundStartedAt = cursor.complete || !cursor.roundStartedAt ? Date.now() : cursor.roundStartedAt;
  const since = cursor.lastRoundAt === undefined ? plan.since : resyncSince(plan, cursor);
  let link = cursor.link ?? initialDeltaUrl(client, plan.mailbox, folder, since);
  let resynced = false;
  const write: LiveWrite = {
    orgId: plan.orgId,
    mailbox: plan.mailbox,
    runId,
    folder,
    windowStart: plan.since,
    attachmentMaxBytes: services.config.MAILBOX_ATTACHMENT_MAX_BYTES,
    // A resync round in progress (continued from an earlier run) keeps its round id and window.
    ...(!cursor.complete && cursor.link && cursor.resync && { resync: cursor.resync }),
  };
  let lookups = 0;
  for (let pages = 0; pages < MAX_PAGES_PER_RUN && lookups < MAX_LOOKUPS_PER_RUN; pages++) {
    let page: Awaited<ReturnType<typeof deltaPage>>;
    try {
      page = await deltaPage(client, link);
    } catch (err) {
      if (isDeltaExpired(err) && !resynced) {
        resynced = true;
        logEvent("info", "mailbox_live_resync", { orgId: plan.orgId, folder });
        write.resync = newResyncRound(plan, cursor);
        link = initialDeltaUrl(client, plan.mailbox, folder, write.resync.since);
        continue;
      }
      if (err instanceof GraphError && !(err instanceof GraphThrottledError) && (err.status < 500 || err.permanent)) {
        return { error: `${folder}: ${err.message}` };
      }
      throw err;
    }
    lookups += (await writeDeltaPage(services, write, page, client)).lookups;
    const next: FolderCursor = page.nextLink
      ? { link: page.nextLink, complete: false, roundStartedAt, lastRoundAt: cursor.lastRoundAt, resync: write.resync }
      : { link: page.deltaLink, complete: page.deltaLink !== undefined, lastRoundAt: roundStartedAt };
    if (!(await lock.saveLiveCursor(runId, folder, next))) return "stale";
    if (!page.nextLink) return {};
    link = page.nextLink;
  }
  return { more: true };
}
