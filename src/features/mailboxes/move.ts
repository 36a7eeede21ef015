import { deleteMovedRows, hasRowsInD1, nextMailboxInD1 } from "@/db/message-store";
import { findMailboxStore, finishMove, mailboxStoresIn, setMailboxStore } from "@/db/stores/mailbox-stores.store";
import { fenceMailbox, findMailbox } from "@/db/stores/outlook-mailboxes.store";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import { adoptionFor } from "./mail-home";
import { leaseMs } from "./sync/lease";
import { lockStub, MOVE_PREFIX } from "./sync/lock-stub";
import { deleteMailboxItems, itemsToMove } from "./sync/mailbox-sync-items.store";
import { enqueue, type MoveTask, type SyncTask } from "./sync/tasks";

/**
 * The move of a mailbox's mail from D1 (where every mailbox kept it before the mailbox objects) into the
 * mailbox's Durable Object, online and resumable:
 * 1. Under the mailbox's sync lease (so no import runs, and an import's stale writes to D1 are fenced off by
 *    the lease's token), its import items go to the object and its directory row says `moving`. From then on
 *    every write of its mail goes to the object (live writes to D1 are refused by their batch's first
 *    statement), and a page first hands the object D1's rows of the messages it touches, so ids are kept.
 * 2. In chunks (still under the lease, renewed per chunk), D1's rows and their attachment rows are handed to
 *    the object, which keeps what it holds already (as new or newer); the rows it confirms holding are deleted
 *    from D1. Readers merge both meanwhile, the object's copy winning.
 * 3. Once D1 holds none of the mailbox's rows, the directory says `object`.
 * A move that stops anywhere leaves every message in D1, in the object or in both (then the same id), and the
 * next run carries on. The hourly cron starts it (queueMailboxMoves); each mailbox's move then runs as `move` queue tasks
 * that send themselves on until it is done.
 */

export interface MoveProgress {
  orgId: string;
  mailbox: string;
  /** `object`: done; `moving`: more to do; `busy`: an import holds the lease (tried again next run). */
  state: "object" | "moving" | "busy";
  moved: number;
}

type MoveServices = Pick<Services, "db" | "d1" | "messageContent" | "mailboxObjects" | "config">;

/** Moves up to `chunks` chunks of `chunkRows` messages of one mailbox; answers where it got to. */
export async function moveMailboxMail(
  services: MoveServices,
  scope: { orgId: string; mailbox: string; inboxId: string },
  budget: { chunks: number; chunkRows: number },
): Promise<MoveProgress> {
  const owner = { orgId: scope.orgId, mailbox: scope.mailbox };
  const object = lockStub(services, scope.orgId, scope.mailbox);
  const executionId = `${MOVE_PREFIX}${crypto.randomUUID()}`;
  const granted = await object.acquire({ ...owner, executionId, leaseMs: leaseMs(services) });
  if (!granted.ok) return { ...owner, state: "busy", moved: 0 };
  const lease = { executionId, token: granted.token };
  let moved = 0;
  try {
    const store = await findMailboxStore(services.db, scope.orgId, scope.mailbox);
    if (store?.state === "object") return { ...owner, state: "object", moved };
    // Nothing in D1 and no directory row: nothing to move (its mail was deleted meanwhile, say): no row is made.
    if (!store && !(await hasRowsInD1(services.d1, scope.orgId, scope.mailbox))) {
      return { ...owner, state: "object", moved };
    }
    if (!store) await startMove(services, scope, lease);
    let after = "";
    for (let chunk = 0; chunk < budget.chunks; chunk++) {
      const adoption = await adoptionFor(services, owner, { after, limit: budget.chunkRows });
      if (adoption.messages.length === 0) break;
      const result = await object.adoptMessages(owner, { lease }, adoption);
      if (!result) return { ...owner, state: "busy", moved };
      await deleteMovedRows(services.d1, scope.orgId, scope.mailbox, result.held);
      moved += result.held.length;
      if (result.held.length < adoption.messages.length) {
        logEvent("warn", "mailbox_move_rows_kept", {
          orgId: scope.orgId,
          kept: adoption.messages.length - result.held.length,
        });
      }
      after = adoption.lastGraphId ?? after;
      if (!(await object.renew(executionId, lease.token, leaseMs(services)))) return { ...owner, state: "busy", moved };
    }
    if (await hasRowsInD1(services.d1, scope.orgId, scope.mailbox)) return { ...owner, state: "moving", moved };
    await finishMove(services.db, scope.orgId, scope.mailbox, new Date().toISOString());
    logEvent("info", "mailbox_move_done", { orgId: scope.orgId });
    return { ...owner, state: "object", moved };
  } finally {
    await object.release(executionId, lease.token);
  }
}

/**
 * The switch: the lease's token fences D1 against any older lease's import writes, the import items move into
 * the object, and the directory says `moving` (so every writer turns to the object); D1's items go last.
 */
async function startMove(
  services: MoveServices,
  scope: { orgId: string; mailbox: string; inboxId: string },
  lease: { executionId: string; token: number },
) {
  const owner = { orgId: scope.orgId, mailbox: scope.mailbox };
  await fenceMailbox(services.db, scope.orgId, scope.mailbox, lease.token);
  const items = await itemsToMove(services.d1, scope.orgId, scope.mailbox);
  const adopted = await lockStub(services, scope.orgId, scope.mailbox).adoptMessages(
    owner,
    { lease },
    { messages: [], attachments: [], items: items as never },
  );
  if (!adopted) throw new Error("The mailbox's lease was lost before its move started");
  await setMailboxStore(services.db, { ...scope, state: "moving", now: new Date().toISOString() });
  await deleteMailboxItems(services.d1, scope.orgId, scope.mailbox);
  logEvent("info", "mailbox_move_started", { orgId: scope.orgId });
}

/** Chunks one `move` task moves before it sends itself again (each task has its own subrequest budget). */
const CHUNKS_PER_TASK = 10;
/** A move that found an import holding the mailbox's lease tries again after this long. */
const BUSY_RETRY_SECONDS = 60;

/** One `move` queue task: a few chunks, then the next task (right away, or later when an import runs). */
export async function runMoveTask(services: MoveServices & Pick<Services, "queues">, task: MoveTask): Promise<void> {
  const progress = await moveMailboxMail(services, task, {
    chunks: CHUNKS_PER_TASK,
    chunkRows: services.config.MAILBOX_MOVE_CHUNK_ROWS,
  });
  if (progress.state === "object") return;
  // Right away while rows move; later while an import holds the mailbox, or when nothing moved (rows the object
  // would not confirm: logged; the hourly cron tries again too).
  const delaySeconds = progress.state === "busy" || progress.moved === 0 ? BUSY_RETRY_SECONDS : 0;
  await services.queues.mailboxSync.send({ ...task, throttled: 0 } satisfies SyncTask, { delaySeconds });
}

/**
 * The hourly cron's part: a `move` task for every mailbox already moving (one whose tasks were lost resumes;
 * a duplicate finds the lease taken or nothing left) and for up to MAILBOX_MOVE_MAILBOXES mailboxes still
 * wholly in D1. Answers the mailboxes it queued.
 */
export async function queueMailboxMoves(services: MoveServices & Pick<Services, "queues">): Promise<number> {
  const scopes = await mailboxesToMove(services, services.config.MAILBOX_MOVE_MAILBOXES);
  await enqueue(
    services,
    scopes.map((scope): MoveTask => ({ kind: "move", ...scope })),
  );
  if (scopes.length > 0) logEvent("info", "mailbox_moves_queued", { mailboxes: scopes.length });
  return scopes.length;
}

/** Mailboxes already moving, then up to `limit` more with mail in D1 and no directory row. */
async function mailboxesToMove(
  services: MoveServices,
  limit: number,
): Promise<{ orgId: string; mailbox: string; inboxId: string }[]> {
  const work: { orgId: string; mailbox: string; inboxId: string }[] = (
    await mailboxStoresIn(services.db, ["moving"], limit)
  ).map((row) => ({ orgId: row.orgId, mailbox: row.mailbox, inboxId: row.sharedInboxId }));
  let after: { orgId: string; mailbox: string } | null = null;
  while (work.length < limit) {
    const next = await nextMailboxInD1(services.d1, after);
    if (!next) break;
    after = { orgId: next.org_id, mailbox: next.mailbox };
    if (await findMailboxStore(services.db, next.org_id, next.mailbox)) continue;
    // The inbox the mailbox is connected to now; a disconnected mailbox keeps the inbox its mail is listed in.
    const mapping = await findMailbox(services.db, next.org_id, next.mailbox);
    work.push({ ...after, inboxId: mapping?.sharedInboxId ?? next.shared_inbox_id });
  }
  return work;
}
