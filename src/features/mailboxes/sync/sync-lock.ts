import { DurableObject } from "cloudflare:workers";
import { MAX_IN_FLIGHT_PER_MAILBOX } from "@/clients/graph/client";
import { SlotLimiter } from "@/clients/graph/limiter";
import type { SyncFolder } from "@/clients/graph/mail";
import type {
  D1AttachmentRow,
  D1MessageRow,
  ImportItemStatus,
  IndexStores,
  ListingKey,
  MailboxIndex,
  MovedItem,
  PendingEvent,
  SearchFilters,
  StoredAttachment,
  StoredMessageRow,
} from "@/db/mailbox-object";
// What a page writes: compositions of the index's statements, with no module of their own to load.
import {
  type ImportPage,
  type LivePage,
  type PageWrite,
  writeImportPage,
  writeLivePage,
} from "@/db/mailbox-object/pages";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import type { AppEnv } from "@/lib/types";
import type { IncomingNotification, LiveStore, RunOutcome, SubscriptionUpdate } from "../live/live-store";
import type { FolderCursor, LiveSettings } from "../live/state";
import { type Adoption, MOVE_PREFIX } from "./lock-stub";

/**
 * One instance per mailbox (named by org and address, see `lockStub`): grants one running sync at a
 * time. A grant is a lease with a fencing token that only ever grows, so a newer sync always carries a
 * larger token than any older one. The lease is renewed by every step of the sync; an alarm expires a
 * lease that nobody renewed (a crashed or lost run), marks its execution FAILED in D1 and frees the
 * mailbox, so an abandoned sync never blocks the mailbox forever.
 *
 * It also owns the mailbox's live sync (src/features/mailboxes/live/: delta links, subscriptions, the next
 * poll, the one running and one pending delta run). One alarm serves both: it is set to the earliest of
 * the lease's expiry and live sync's next wake (a poll, a renewal, a lapsed run).
 */
export interface Lease {
  orgId: string;
  mailbox: string;
  executionId: string;
  token: number;
  expiresAt: number;
}

export type AcquireResult =
  | { ok: true; token: number; expiresAt: number; expired?: Lease }
  | { ok: false; executionId: string; expiresAt: number };

const LEASE_KEY = "lease";
/** When the alarm relays message events a writer may have left (see relayLater). */
const RELAY_DUE_KEY = "relayDue";
const RELAY_SAFETY_MS = 60_000;
/** When the alarm next indexes rows that wait (see indexLater), and how many per alarm. */
const INDEX_DUE_KEY = "indexDue";
const INDEX_BATCH = 50;

type Owner = { orgId: string; mailbox: string };

/** Takes over D1 rows (what the object holds already stays); answers the message ids added. */
function adoptRows(stores: IndexStores, adoption: Adoption): string[] {
  const added = stores.messages.adopt(adoption.messages);
  stores.attachments.adopt(adoption.attachments);
  stores.items.adopt(adoption.items);
  return added;
}
const LAST_TOKEN_KEY = "lastToken";

/** A slot not released by then (its holder crashed) is reclaimed. */
const GRAPH_SLOT_TTL_MS = 60_000;

export class MailboxSyncLock extends DurableObject<AppEnv> {
  /**
   * Graph request slots of this mailbox, held by consumers in any isolate. In memory only: if the
   * object is evicted, the slots in use are forgotten, which can briefly allow more than the limit
   * but never blocks a mailbox.
   */
  private readonly graphSlots = new SlotLimiter(MAX_IN_FLIGHT_PER_MAILBOX, GRAPH_SLOT_TTL_MS);

  private liveStore: Promise<LiveStore> | undefined;

  private builtServices: Promise<Services> | undefined;

  private messageIndex: Promise<MailboxIndex> | undefined;

  private indexing:
    | Promise<{
        readOriginalBody: typeof import("@/db/message-store/bodies").readOriginalBody;
        searchableBody: typeof import("@/shared/search-text").searchableBody;
      }>
    | undefined;

  /**
   * The platform constructs this object with env, so it is an entry point: it builds the features' services
   * (src/entry/services.ts) once, on first use, for the same reason as the live store below (their module
   * chain would otherwise run at startup).
   */
  private services(): Promise<Services> {
    this.builtServices ??= import("@/entry/services").then(({ servicesFor }) => servicesFor(this.env));
    return this.builtServices;
  }

  /**
   * Live sync's state of this mailbox (delta links, subscriptions, the next poll, the delta run). Loaded on
   * first use, not with the class: the Worker exports this class at startup, and the live store's module
   * chain (drizzle, the schema, the config schema) would otherwise run in the startup the platform profiles.
   * Loading it is microtasks only (no I/O), so the input gate stays closed as before.
   */
  private live(): Promise<LiveStore> {
    this.liveStore ??= Promise.all([import("../live/live-store"), this.services()]).then(
      ([{ LiveStore }, services]) => new LiveStore(this.ctx.storage, services, () => this.reschedule()),
    );
    return this.liveStore;
  }

  /**
   * The mailbox's message index in this object's SQLite (src/db/mailbox-object), opened on first use inside
   * blockConcurrencyWhile: its migrations run before any other call of the object, and its modules (drizzle,
   * the schema) are loaded then, not at startup.
   */
  private index(): Promise<MailboxIndex> {
    this.messageIndex ??= this.ctx
      .blockConcurrencyWhile(async () => (await import("@/db/mailbox-object")).openMailboxIndex(this.ctx.storage))
      .then(async (opened) => {
        // Rows stored before the search index (or moved in and not indexed yet): the alarm indexes them.
        if (opened.hasSearchBacklog()) await this.indexLater(0);
        return opened;
      });
    return this.messageIndex;
  }

  /** Waits until fewer than MAX_IN_FLIGHT_PER_MAILBOX requests (Graph's limit) are in flight; answers a slot id. */
  acquireGraphSlot(ttlMs = GRAPH_SLOT_TTL_MS): Promise<string> {
    return this.graphSlots.acquire(ttlMs);
  }

  releaseGraphSlot(id: string): void {
    this.graphSlots.release(id);
  }

  graphSlotsInUse(): number {
    return this.graphSlots.inUse;
  }

  /** Grants the lease unless a live one exists. An expired lease is taken over (and its execution marked abandoned). */
  async acquire(input: {
    orgId: string;
    mailbox: string;
    executionId: string;
    leaseMs: number;
  }): Promise<AcquireResult> {
    const now = Date.now();
    const current = await this.ctx.storage.get<Lease>(LEASE_KEY);
    if (current && current.expiresAt > now) {
      return { ok: false, executionId: current.executionId, expiresAt: current.expiresAt };
    }
    const token = ((await this.ctx.storage.get<number>(LAST_TOKEN_KEY)) ?? 0) + 1;
    const lease: Lease = {
      orgId: input.orgId,
      mailbox: input.mailbox,
      executionId: input.executionId,
      token,
      expiresAt: now + input.leaseMs,
    };
    await this.ctx.storage.put({ [LEASE_KEY]: lease, [LAST_TOKEN_KEY]: token });
    await this.reschedule();
    // The expired lease's execution ends after the grant: between reading the lease and granting it
    // only storage calls run, so no other call slips in, whereas ending the execution waits on D1.
    if (current) {
      await this.abandon(current).catch((err) =>
        logEvent("warn", "mailbox_sync_abandon_failed", {
          orgId: current.orgId,
          executionId: current.executionId,
          message: err instanceof Error ? err.message.slice(0, 300) : String(err),
        }),
      );
    }
    return { ok: true, token, expiresAt: lease.expiresAt, ...(current && { expired: current }) };
  }

  /** Extends the lease if (and only if) it is still the caller's. */
  async renew(executionId: string, token: number, leaseMs: number): Promise<boolean> {
    const current = await this.ctx.storage.get<Lease>(LEASE_KEY);
    if (!current || current.executionId !== executionId || current.token !== token) return false;
    if (current.expiresAt <= Date.now()) return false;
    current.expiresAt = Date.now() + leaseMs;
    await this.ctx.storage.put(LEASE_KEY, current);
    await this.reschedule();
    return true;
  }

  /** Frees the mailbox if the lease is the caller's. */
  async release(executionId: string, token: number): Promise<boolean> {
    const current = await this.ctx.storage.get<Lease>(LEASE_KEY);
    if (!current || current.executionId !== executionId || current.token !== token) return false;
    await this.ctx.storage.delete(LEASE_KEY);
    await this.reschedule();
    return true;
  }

  /** Frees the mailbox whoever holds it (disconnect); answers the lease that was cancelled, if any. */
  async cancel(): Promise<Lease | null> {
    const current = await this.ctx.storage.get<Lease>(LEASE_KEY);
    if (!current) return null;
    await this.ctx.storage.delete(LEASE_KEY);
    await this.reschedule();
    return current;
  }

  /** The current lease (live or not yet expired by the alarm) and the last token granted. */
  async inspect(): Promise<{ lease: Lease | null; lastToken: number }> {
    return {
      lease: (await this.ctx.storage.get<Lease>(LEASE_KEY)) ?? null,
      lastToken: (await this.ctx.storage.get<number>(LAST_TOKEN_KEY)) ?? 0,
    };
  }

  // -------------------------------------------------------------------------------------------------
  // The message index (src/db/mailbox-object): written under the object's own fencing, read by the listing.

  /**
   * An import page (rows, attachment rows, each message's outcome), written only while `lease` is the
   * mailbox's current, unexpired lease: the check and the write run with no other call of the object in between,
   * so a consumer of an expired or cancelled lease writes nothing. A new inbox message records its
   * `message.received` in the same transaction (the object's outbox, relayed to D1's webhook tables). `adopt`:
   * the D1 rows of the page's messages while the mailbox's mail moves in (taken over first, keeping their ids).
   */
  async writeImportPage(
    owner: Owner,
    lease: { executionId: string; token: number },
    page: ImportPage & { adopt?: Adoption },
    at: { now: string; readAt: string; sharedInboxId: string },
  ): Promise<PageWrite & { inserted: number; refused: boolean }> {
    if (!(await this.holdsLease(lease))) return { refused: true, written: [], inserted: 0, withoutRow: [], events: 0 };
    const index = await this.index();
    const written = index.write(owner, (stores) => {
      if (page.adopt) adoptRows(stores, page.adopt);
      return writeImportPage(stores, page, { executionId: lease.executionId, mailbox: owner.mailbox, ...at });
    });
    if (written.events > 0) await this.relayLater();
    if (page.adopt?.messages.length) await this.indexLater(0);
    return { refused: false, ...written };
  }

  /**
   * A delta page of live run `runId`, written only while that run is the mailbox's current one (a disconnect or
   * a lapsed run writes nothing); see writeLivePage in src/db/mailbox-object/pages.ts.
   */
  async writeLivePage(
    owner: Owner,
    runId: string,
    page: LivePage & { adopt?: Adoption },
    at: { now: string; sharedInboxId: string },
  ): Promise<PageWrite & { tombstoned: string[]; refused: boolean }> {
    if (!(await (await this.live()).isCurrentRun(runId))) {
      return { refused: true, written: [], withoutRow: [], tombstoned: [], events: 0 };
    }
    const importExecution = await this.runningImport();
    const index = await this.index();
    const written = index.write(owner, (stores) => {
      if (page.adopt) adoptRows(stores, page.adopt);
      return writeLivePage(stores, page, {
        executionId: `live:${runId}`,
        mailbox: owner.mailbox,
        importExecution,
        ...at,
      });
    });
    if (written.events > 0) await this.relayLater();
    return { refused: false, ...written };
  }

  /** Removed Graph ids worth a lookup in Graph (see MailboxMessages.worthALookup). */
  async removalsWorthALookup(owner: Owner, folder: SyncFolder, removed: string[], windowStart: string | null) {
    const importRuns = (await this.runningImport()) !== null;
    return (await this.index()).of(owner).messages.worthALookup(folder, removed, windowStart, importRuns);
  }

  /** Whether the message has a row (a tombstone too). */
  async hasMessage(owner: Owner, graphId: string): Promise<boolean> {
    return (await this.index()).of(owner).messages.hasGraphId(graphId);
  }

  /** Of `graphIds`, those without a listed row (their stored content has no owner). */
  async messagesWithoutRow(owner: Owner, graphIds: string[]): Promise<string[]> {
    return (await this.index()).of(owner).messages.withoutRow(graphIds);
  }

  /** Up to `limit` message events not yet relayed to the webhook pipeline, oldest first. */
  async pendingMessageEvents(owner: Owner, limit: number): Promise<PendingEvent[]> {
    return (await this.index()).of(owner).events.pending(limit);
  }

  /** Forgets the events the relay has written to D1. */
  async ackMessageEvents(owner: Owner, ids: string[]): Promise<void> {
    const { events } = (await this.index()).of(owner);
    events.ack(ids);
    // Nothing left to relay: the alarm's safety relay is not needed.
    if (events.pending(1).length === 0 && (await this.ctx.storage.get<number>(RELAY_DUE_KEY)) !== undefined) {
      await this.ctx.storage.delete(RELAY_DUE_KEY);
      await this.reschedule();
    }
  }

  // The import state of the mailbox's messages (executions.ts reads and moves it while an execution runs).

  async importItemCounts(owner: Owner, executionId: string) {
    return (await this.index()).of(owner).items.counts(executionId);
  }

  async findImportItems(owner: Owner, filter: { executionId?: string; status?: ImportItemStatus; ids?: string[] }) {
    return (await this.index()).of(owner).items.find(filter);
  }

  /** A retry's move of FAILED items to its execution, only under that execution's lease; answers the ids moved. */
  async moveFailedItems(
    owner: Owner,
    lease: { executionId: string; token: number },
    from: string,
    ids: string[],
    now: string,
  ): Promise<string[] | null> {
    if (!(await this.holdsLease(lease))) return null;
    return (await this.index()).write(owner, ({ items }) => items.moveFailed(from, lease.executionId, ids, now));
  }

  /** Drops the IMPORTED and REMOVED items of an execution that has ended. */
  async dropEndedItems(owner: Owner, executionId: string): Promise<void> {
    (await this.index()).write(owner, ({ items }) => items.dropEnded(executionId));
  }

  // Reads of the shared inbox's listing and messages.

  /** Up to `limit` listed messages, newest first, below `after`. */
  async listMessages(owner: Owner, limit: number, after?: ListingKey): Promise<StoredMessageRow[]> {
    return (await this.index()).of(owner).messages.page(limit, after);
  }

  /**
   * Up to `limit` listed messages matching a search (`match`: an FTS5 expression built by parseSearchQuery, null
   * for filters only), newest first, below `after`.
   */
  async searchMessages(
    owner: Owner,
    query: { match: string | null; filters: SearchFilters },
    limit: number,
    after?: ListingKey,
  ): Promise<StoredMessageRow[]> {
    return (await this.index()).of(owner).search.search(query.match, query.filters, limit, after);
  }

  /** The listed message with this id, if this mailbox holds it. */
  async findMessage(owner: Owner, id: string): Promise<StoredMessageRow | null> {
    return (await this.index()).of(owner).messages.find(id) ?? null;
  }

  /** The attachment rows of a message, oldest first. */
  async messageAttachments(owner: Owner, messageId: string): Promise<StoredAttachment[]> {
    return (await this.index()).of(owner).attachments.of(messageId);
  }

  async findAttachment(owner: Owner, messageId: string, id: string): Promise<StoredAttachment | null> {
    return (await this.index()).of(owner).attachments.find(messageId, id) ?? null;
  }

  /** Which of `ids` (message ids) the object holds, tombstones too. */
  async heldMessages(owner: Owner, ids: string[]): Promise<string[]> {
    return (await this.index()).of(owner).messages.held(ids);
  }

  /**
   * Rows moved in from D1 with their ids (the move of existing mail), with their attachment rows and import
   * items; what the object holds already is kept as it is (as new or newer). Only for a caller that holds the
   * mailbox's lease (the move, an import) or runs its current live run: a purge cancels both before it empties
   * the object, so nothing is moved into it afterwards. Answers the ids added and, of all the rows given, the
   * ids the object now holds (what the move verifies before D1 lets go of them); null when refused.
   */
  async adoptMessages(
    owner: Owner,
    fence: { lease: { executionId: string; token: number } } | { runId: string },
    adoption: Adoption,
  ): Promise<{ added: string[]; held: string[] } | null> {
    const allowed =
      "lease" in fence ? await this.holdsLease(fence.lease) : await (await this.live()).isCurrentRun(fence.runId);
    if (!allowed) return null;
    const result = (await this.index()).write(owner, (stores) => ({
      added: adoptRows(stores, adoption),
      held: stores.messages.heldRows(adoption.messages),
    }));
    // Rows moved in carry no text to index (their bodies are in R2): the alarm indexes them.
    if (result.added.length > 0) await this.indexLater(0);
    return result;
  }

  /**
   * Offboarding (its mail is deleted, after the disconnect cancelled its sync and live sync): the object's whole
   * storage goes (`deleteAll`: message index, lease, live state), so nothing of the mailbox stays; a later
   * connect starts from nothing. Idempotent; answers how many message rows (tombstones too) it held.
   */
  async dropMessageIndex(): Promise<{ messages: number }> {
    return this.ctx.blockConcurrencyWhile(async () => {
      const held = (await this.index()).held();
      await this.ctx.storage.deleteAll();
      await this.ctx.storage.deleteAlarm();
      // Opened again (migrations and all) by the next call that needs it.
      this.messageIndex = undefined;
      return { messages: held };
    });
  }

  /** Listed messages and tombstones held. */
  async messageCounts(owner: Owner) {
    return (await this.index()).of(owner).messages.counts();
  }

  /** Whether `lease` is the current, unexpired lease. */
  private async holdsLease(lease: { executionId: string; token: number }): Promise<boolean> {
    const current = await this.ctx.storage.get<Lease>(LEASE_KEY);
    return (
      current?.executionId === lease.executionId && current.token === lease.token && current.expiresAt > Date.now()
    );
  }

  /** The execution of the import that holds the lease now, if any (the move's lease is not an import). */
  private async runningImport(): Promise<string | null> {
    const current = await this.ctx.storage.get<Lease>(LEASE_KEY);
    if (!current || current.expiresAt <= Date.now() || current.executionId.startsWith(MOVE_PREFIX)) return null;
    return current.executionId;
  }

  // -------------------------------------------------------------------------------------------------
  // Live sync (src/features/mailboxes/live/): RPC of the connect, schedule, notification and run code.

  async ensureLive(input: { orgId: string; mailbox: string; tenantId: string; since: string }, settings: LiveSettings) {
    return (await this.live()).ensure(input, settings);
  }

  async resumeLive() {
    return (await this.live()).resume();
  }

  async retryLiveNotifications() {
    return (await this.live()).retryNotifications();
  }

  async disableLive() {
    return (await this.live()).disable();
  }

  async notifyLive(items: IncomingNotification[]) {
    return (await this.live()).notify(items);
  }

  async beginLiveRun(runId: string) {
    return (await this.live()).beginRun(runId);
  }

  async saveLiveCursor(runId: string, folder: "inbox" | "sentitems", cursor: FolderCursor) {
    return (await this.live()).saveCursor(runId, folder, cursor);
  }

  async recordLiveSubscriptions(runId: string, update: SubscriptionUpdate) {
    return (await this.live()).recordSubscriptions(runId, update);
  }

  async finishLiveRun(runId: string, outcome: RunOutcome) {
    return (await this.live()).finishRun(runId, outcome);
  }

  async liveStatus() {
    return (await this.live()).view();
  }

  /** This object's id, as notification clientStates carry it. */
  objectId(): string {
    return this.ctx.id.toString();
  }

  /** One alarm for everything: the earliest of the lease's expiry and live sync's next wake. */
  private async reschedule() {
    const lease = await this.ctx.storage.get<Lease>(LEASE_KEY);
    const relay = await this.ctx.storage.get<number>(RELAY_DUE_KEY);
    const indexing = await this.ctx.storage.get<number>(INDEX_DUE_KEY);
    const at = Math.min(
      lease?.expiresAt ?? Number.POSITIVE_INFINITY,
      relay ?? Number.POSITIVE_INFINITY,
      indexing ?? Number.POSITIVE_INFINITY,
      await (await this.live()).wakeAt(),
    );
    if (!Number.isFinite(at)) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    const current = await this.ctx.storage.getAlarm();
    if (current !== at) await this.ctx.storage.setAlarm(Math.max(at, Date.now()));
  }

  override async alarm(): Promise<void> {
    await this.expireLease();
    await this.relayLeftEvents();
    await this.indexBacklog();
    await (await this.live()).onAlarm();
    await this.reschedule();
  }

  /**
   * A write recorded message events: the writer relays them right after, and should it crash first, the alarm
   * does a little later (RELAY_SAFETY_MS), so no event stays in the object.
   */
  private async relayLater(): Promise<void> {
    if ((await this.ctx.storage.get<number>(RELAY_DUE_KEY)) !== undefined) return;
    await this.ctx.storage.put(RELAY_DUE_KEY, Date.now() + RELAY_SAFETY_MS);
    await this.reschedule();
  }

  /** What indexing from R2 needs (the body reader, the text extraction, the services): loaded once, on demand. */
  private searchModules() {
    this.indexing ??= Promise.all([
      import("@/db/message-store/bodies"),
      import("@/shared/search-text"),
      this.services(),
    ]).then(([bodies, text]) => ({ readOriginalBody: bodies.readOriginalBody, searchableBody: text.searchableBody }));
    return this.indexing;
  }

  /** Rows wait to be indexed (moved in, or stored before the index): the alarm indexes them `inMs` from now. */
  private async indexLater(inMs: number): Promise<void> {
    // Loaded now, in the call that found the backlog, so the alarm loads no module of its own.
    await this.searchModules();
    const due = await this.ctx.storage.get<number>(INDEX_DUE_KEY);
    if (due !== undefined && due <= Date.now() + inMs) return;
    await this.ctx.storage.put(INDEX_DUE_KEY, Date.now() + inMs);
    await this.reschedule();
  }

  /**
   * Indexes up to INDEX_BATCH rows of the backlog, their bodies' text read from R2; while more wait, the alarm
   * comes back right away. A body that cannot be read is indexed without it (its subject and people still are).
   */
  private async indexBacklog(): Promise<void> {
    const due = await this.ctx.storage.get<number>(INDEX_DUE_KEY);
    if (due === undefined || due > Date.now()) return;
    const index = await this.index();
    const owner = index.owner();
    const rows = owner ? index.of(owner).search.backlog(INDEX_BATCH) : [];
    if (owner && rows.length > 0) {
      const [{ readOriginalBody, searchableBody }, services] = await Promise.all([
        this.searchModules(),
        this.services(),
      ]);
      const bodies = new Map<string, string>();
      await Promise.all(
        rows.map(async (row) => {
          const ref = { orgId: owner.orgId, mailbox: owner.mailbox, graphId: row.graph_id };
          const body = await readOriginalBody(services.messageContent, ref, row.body_content_type).catch(() => null);
          bodies.set(row.graph_id, searchableBody(body, row.body_content_type));
        }),
      );
      index.write(owner, (stores) => stores.search.indexBacklog(rows, bodies));
    }
    // Decided on what waits now: rows moved in while this batch read R2 are not left behind.
    if (owner && index.of(owner).search.backlog(1).length > 0) await this.ctx.storage.put(INDEX_DUE_KEY, Date.now());
    else await this.ctx.storage.delete(INDEX_DUE_KEY);
  }

  private async relayLeftEvents(): Promise<void> {
    const due = await this.ctx.storage.get<number>(RELAY_DUE_KEY);
    if (due === undefined || due > Date.now()) return;
    const owner = (await this.index()).owner();
    // Throws on a D1 failure, so the runtime retries the alarm with the events still here.
    if (owner) {
      const { relayMailboxEvents } = await import("../message-events");
      await relayMailboxEvents(await this.services(), owner);
    }
    await this.ctx.storage.delete(RELAY_DUE_KEY);
  }

  private async expireLease(): Promise<void> {
    const current = await this.ctx.storage.get<Lease>(LEASE_KEY);
    if (!current || current.expiresAt > Date.now()) return;
    // Throws on a D1 failure, so the runtime retries the alarm with the lease still in place.
    await this.abandon(current);
    // Ending the execution waited on D1: delete the lease only if it is still the expired one.
    const after = await this.ctx.storage.get<Lease>(LEASE_KEY);
    if (after?.executionId === current.executionId && after.token === current.token) {
      await this.ctx.storage.delete(LEASE_KEY);
    }
  }

  /** The lease lapsed without a release: its execution ends FAILED (if it is still running). */
  private async abandon(lease: Lease) {
    // A move of the mailbox's mail is no execution: the next run of the move resumes it.
    if (lease.executionId.startsWith(MOVE_PREFIX)) return;
    const { abandonExecution } = await import("./executions");
    return abandonExecution(await this.services(), lease.orgId, lease.executionId);
  }
}
