import type { AttachmentGraph } from "@/clients/graph/attachments";
import { convertMessage, type GraphMessage, type SyncFolder } from "@/clients/graph/mail";
import { jsonChunks } from "@/db/json-chunks";
import {
  type AttachmentRecord,
  attachmentStatements,
  dropContentOf,
  dropUnclaimedContent,
  removalsWorthALookup,
  removeMessageContent,
  stillInD1Statement,
  storeBatch,
  tombstoneRemovedRows,
  upsertLiveRows,
} from "@/db/message-store";
import { kickWebhookDeliveries } from "@/db/outbox";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import { adoptionFor, mailHomeOf, withSearchBodies } from "../mail-home";
import { messageReceivedStatements, relayMailboxEvents } from "../message-events";
import { type StoredMessage, withMailboxIds } from "../sync/import-writer";
import { lockStub } from "../sync/lock-stub";
import { removedDuringImportStatement } from "../sync/mailbox-sync-items.store";
import { otherFolder, resolveRemovals } from "./removals";
import { markStatements, presentIds, type ResyncRound, sweepStatements } from "./resync-sweep";

/**
 * D1 writes of live sync: the same rows as the import (same fields; the whole body, its sanitized copy and
 * the attachments go to the message store first, src/db/message-store), one transaction per delta page,
 * rows as one JSON parameter per statement (`json_each`).
 *
 * - Present messages are upserted on (org, mailbox, Graph immutable id): a new one is inserted, a known one
 *   is updated only when Graph's `lastModifiedDateTime` is newer than the stored version's (or equal with
 *   another folder: a move), so replayed and out-of-order pages never move a message back. A moved message
 *   keeps its row (immutable ids survive moves); an upsert also brings back a tombstone.
 * - A removal that Graph shows to be a move into the other synced folder is written as that message, in
 *   that folder (removals.ts): a delta round only brings back mail received since the connect.
 * - Removed messages become tombstones: `deleted_at` set, bodies and preview dropped, skipped by listings;
 *   their objects in the message store and their attachment rows are deleted after the transaction.
 *   Only a row still in the folder that reported the removal is touched, so "removed from Inbox" after
 *   "created in Sent Items" (a move seen in that order) leaves the message listed. A removed message
 *   without a row, while an import runs, is kept from that import (removedDuringImportStatement).
 * - A resync round (after an expired delta token) marks what it lists and, at its deltaLink, tombstones the
 *   unmarked rows of its folder and window the same way (resync-sweep.ts): deletions it cannot report.
 * Every statement requires the mailbox mapping to exist: after a disconnect nothing is written.
 */

export interface LiveWrite {
  orgId: string;
  mailbox: string;
  runId: string;
  folder: SyncFolder;
  attachmentMaxBytes: number;
  /** Start of the live window (ISO): removals of mail received before it are looked up (removals.ts). */
  windowStart?: string;
  /** Set while the folder's round is a resync. */
  resync?: ResyncRound;
}

/** Bodies are stored whole (in the message store), never cut. */
const WHOLE_BODY = Number.MAX_SAFE_INTEGER;

/**
 * Writes one delta page (one transaction); answers the statements run, the messages skipped (Graph
 * returned them incomplete, or their content could not be stored: both logged, and imported with the
 * message's next change) and the removals looked up in Graph.
 */
export async function writeDeltaPage(
  services: Pick<Services, "d1" | "db" | "queues" | "messageContent" | "mailboxObjects" | "now">,
  ctx: LiveWrite,
  page: { present: GraphMessage[]; removed: string[]; deltaLink?: string },
  graph: AttachmentGraph | null,
): Promise<{ statements: number; skipped: number; lookups: number }> {
  const home = await mailHomeOf(services, ctx.orgId, ctx.mailbox);
  const owner = { orgId: ctx.orgId, mailbox: ctx.mailbox };
  const object = home.store === "object" ? lockStub(services, ctx.orgId, ctx.mailbox) : null;
  // The resync's sweep covers rows D1 may still hold while the mailbox moves: it waits for the move.
  if (home.store === "object" && home.moving && ctx.resync && page.deltaLink !== undefined) {
    throw new MailboxMovingError();
  }
  // While the mailbox moves, its object first takes over the D1 rows of the messages this page touches.
  const adopt =
    home.store === "object" && home.moving
      ? await adoptionFor(services, owner, { graphIds: [...presentIds(page.present), ...page.removed] })
      : undefined;
  if (adopt && object && !(await object.adoptMessages(owner, { runId: ctx.runId }, adopt))) {
    // No longer the current run: the page is not this run's to write.
    return { statements: 0, skipped: 0, lookups: 0 };
  }
  // When the page was seen: an import that read its page later is not stopped by this page's removals.
  const now = new Date().toISOString();
  // Removals that are moves into the other synced folder are written there instead (removals.ts).
  const worthALookup = object
    ? (removed: string[]) => object.removalsWorthALookup(owner, ctx.folder, removed, ctx.windowStart ?? null)
    : async (removed: string[]) => (await removalsWorthALookup(services.d1, ctx, removed)).map((row) => row.graph_id);
  const resolved = await resolveRemovals(worthALookup, graph, ctx, page.removed);
  const converted = [];
  let incomplete = 0;
  const incoming = [
    ...page.present.map((raw) => ({ raw, folder: ctx.folder })),
    ...resolved.movedIn.map((raw) => ({ raw, folder: otherFolder(ctx.folder) })),
  ];
  for (const { raw, folder } of incoming) {
    const c = convertMessage(raw, folder, WHOLE_BODY);
    if (c.ok) converted.push(c.row);
    else incomplete++;
  }
  const store = await storeBatch(converted, {
    services,
    ...ctx,
    graph,
    ...(object && { hasRow: (graphId: string) => object.hasMessage(owner, graphId) }),
  });
  const rows: StoredMessage[] = store.stored;
  // A move Graph answered unusable (incomplete) is applied as the removal it was reported as; a move whose
  // content could not be stored (perhaps for now) leaves the stored row as it is, listed in its old folder.
  const convertedIds = new Set(converted.map((row) => row.graph_id));
  const removedIds = [
    ...resolved.removed,
    ...resolved.movedIn.map((raw) => String(raw.id)).filter((id) => !convertedIds.has(id)),
  ];
  const skipped = incomplete + store.failed.length;
  if (incomplete > 0) logEvent("warn", "mailbox_live_message_incomplete", { orgId: ctx.orgId, skipped: incomplete });
  if (store.failed.length > 0) {
    logEvent("warn", "mailbox_live_content_failed", { orgId: ctx.orgId, skipped: store.failed.length });
  }
  const written = { rows, attachments: store.attachments, removedIds };
  const statements =
    home.store === "object" && object
      ? await writeToObject(
          services,
          object,
          ctx,
          home.sharedInboxId,
          page,
          { ...written, rows: withSearchBodies(rows, converted) },
          now,
        )
      : await writeToD1(services, ctx, page, written, now);
  return { statements, skipped, lookups: resolved.lookups };
}

/** What a delta page writes once its content is stored. */
interface PageRows {
  rows: StoredMessage[];
  attachments: AttachmentRecord[];
  removedIds: string[];
}

/**
 * The page in the mailbox's Durable Object: one call, fenced by the live run being the object's current one;
 * then the events are relayed and the content of tombstones (and of rows a disconnect left unclaimed) goes.
 * Answers 1 (one transaction) or 0 when there was nothing to write.
 */
async function writeToObject(
  services: Pick<Services, "d1" | "db" | "queues" | "messageContent" | "mailboxObjects" | "now">,
  object: ReturnType<typeof lockStub>,
  ctx: LiveWrite,
  sharedInboxId: string,
  page: { present: GraphMessage[]; deltaLink?: string },
  written: PageRows,
  now: string,
): Promise<number> {
  const owner = { orgId: ctx.orgId, mailbox: ctx.mailbox };
  const resync = ctx.resync && {
    ...ctx.resync,
    present: presentIds(page.present),
    sweep: page.deltaLink !== undefined,
  };
  if (written.rows.length === 0 && written.removedIds.length === 0 && !resync) return 0;
  const result = await object.writeLivePage(
    owner,
    ctx.runId,
    {
      folder: ctx.folder,
      rows: await withMailboxIds(owner, written.rows),
      attachments: written.attachments,
      removed: written.removedIds,
      ...(resync && { resync }),
    },
    { now, sharedInboxId },
  );
  const storedIds = written.rows.map((row) => row.graph_id);
  if (result.refused) {
    // No longer the current run (a disconnect, a lapsed run): what this page stored may have no row.
    await dropUnclaimedContent(services, ctx.orgId, ctx.mailbox, storedIds, (ids) =>
      object.messagesWithoutRow(owner, ids),
    );
    return 1;
  }
  if (result.events > 0) await relayMailboxEvents(services, owner);
  await dropContentOf(services, ctx.orgId, ctx.mailbox, [...result.tombstoned, ...result.withoutRow]);
  return 1;
}

/** The page in D1 (a mailbox not moved yet): one batch; answers the statements run. */
async function writeToD1(
  services: Pick<Services, "d1" | "db" | "queues" | "messageContent" | "mailboxObjects" | "now">,
  ctx: LiveWrite,
  page: { present: GraphMessage[]; deltaLink?: string },
  { rows, attachments, removedIds }: PageRows,
  now: string,
): Promise<number> {
  const db = services.d1;
  const removals = [
    ...jsonChunks(removedIds).map((json) => tombstoneRemovedRows(db, ctx, now, json)),
    ...sweepStatements(db, ctx, page, now),
  ];
  const rowChunks = jsonChunks(rows);
  const statements = [
    // Refuses the whole batch once the mailbox's mail has started moving into its object (see mailHomeOf).
    stillInD1Statement(db, ctx),
    // Each chunk's upsert, then `message.received` for the rows it inserted (never an update or a revival).
    ...rowChunks.flatMap((json) => [
      upsertLiveRows(db, ctx, `live:${ctx.runId}`, now, json),
      ...messageReceivedStatements(db, ctx.orgId, ctx.mailbox, now, json),
    ]),
    ...attachmentStatements(db, ctx, attachments),
    ...markStatements(db, ctx, jsonChunks(presentIds(page.present))),
    ...jsonChunks(removedIds).map((json) => removedDuringImportStatement(db, ctx, now, json)),
    ...removals,
  ];
  if (statements.length === 1) return 0;
  let results: D1Result<{ graph_id: string }>[];
  try {
    results = (await db.batch<{ graph_id: string }>(statements)).slice(1);
  } catch (err) {
    // The mailbox started moving since this page looked: the run fails and the page is replayed into the object.
    if ((await mailHomeOf(services, ctx.orgId, ctx.mailbox)).store === "object") throw new MailboxMovingError();
    throw err;
  }
  // Deliveries were written (statement 3 of each chunk's three): deliver now rather than at the sweep.
  if (results.slice(0, rowChunks.length * 3).some((r, i) => i % 3 === 2 && (r.meta?.changes ?? 0) > 0)) {
    await kickWebhookDeliveries(services, ctx.orgId);
  }
  // No upsert changed a row (the mailbox may have been disconnected meanwhile: every statement requires
  // its mapping): what this page stored for messages without a row would be orphaned.
  const upserts = results.slice(0, rowChunks.length * 3).filter((_, i) => i % 3 === 0);
  if (upserts.length > 0 && upserts.every((r) => (r.meta?.changes ?? 0) === 0)) {
    await dropUnclaimedContent(
      services,
      ctx.orgId,
      ctx.mailbox,
      rows.map((row) => row.graph_id),
    );
  }
  // The messages this page (or the resync sweep) made tombstones: their stored content goes too.
  const removed = results.slice(results.length - removals.length).flatMap((r) => r.results ?? []);
  await removeMessageContent(
    db,
    services.messageContent,
    removed.map((r) => ({ orgId: ctx.orgId, mailbox: ctx.mailbox, graphId: r.graph_id })),
  );
  return statements.length;
}

/** A page met a mailbox whose mail is moving into its object in a way it cannot write now: retried shortly. */
export class MailboxMovingError extends Error {
  constructor() {
    super("The mailbox's mail is moving into its Durable Object; the delta page is written once it can be");
    this.name = "MailboxMovingError";
  }
}
