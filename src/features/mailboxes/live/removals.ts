import { GraphError, GraphThrottledError } from "@/clients/graph/client";
import { currentMessage, folderIdOf, type GraphReader, messageFolder } from "@/clients/graph/live";
import type { GraphMessage, SyncFolder } from "@/clients/graph/mail";
import { forEachConcurrently } from "@/lib/concurrency";
import { logEvent } from "@/lib/log";

/**
 * What a delta page's removals mean. A delta round reports a message that left its folder as `@removed`,
 * whether it was deleted or moved, and a message moved into the other synced folder comes back in that
 * folder's round only when it is in the round's window (mail received since the connect). So a removal
 * that can matter is looked up in Graph (its folder only, `$select=id,parentFolderId`):
 * - now in the other synced folder: a move, written there (its current state fetched in full);
 * - still (or again) in this folder: no removal (a replayed `@removed`, or it left and came back);
 * - gone (404) or in any other folder (Deleted Items, an archive): a removal.
 * Worth a lookup: a message stored in this folder that was received before the live window (newer mail
 * comes back in the other folder's round by itself), and while an import runs any message without a row
 * (the import may be about to write it). A lookup that Graph answers with a lasting error for the message
 * (a 4xx, a 500 ErrorCorruptData) counts as a removal (logged), so one unreadable message never stalls the
 * mailbox's live sync; throttling and passing failures are thrown (the run fails and replays the page).
 */

export interface ResolvedRemovals {
  /** Left the synced folders. */
  removed: string[];
  /** Now in the other synced folder: their current state, to be written there. */
  movedIn: GraphMessage[];
  /** Messages looked up in Graph. */
  lookups: number;
}

export interface RemovalContext {
  orgId: string;
  mailbox: string;
  folder: SyncFolder;
  /** Start of the live window (ISO): mail received since then needs no lookup. */
  windowStart?: string;
  /** This folder's and the other's Graph ids, looked up once per run (set here on first need; null: unknown). */
  folderIds?: Promise<readonly [string, string] | null>;
}

/** Lookups in flight at once (the mailbox's Graph slots bound them further). */
const LOOKUP_CONCURRENCY = 4;

export const otherFolder = (folder: SyncFolder): SyncFolder => (folder === "inbox" ? "sentitems" : "inbox");

const NOTHING_MOVED = (removed: string[]): ResolvedRemovals => ({ removed, movedIn: [], lookups: 0 });

/** Graph answers that may well differ on a retry: the page is replayed rather than decided on them. */
const TRANSIENT_STATUSES = new Set([401, 408, 502, 504]);

/** Whether a lookup failure is Graph's lasting answer about this message (a 4xx, ErrorCorruptData's 500...). */
const isLastingAnswer = (err: unknown) =>
  err instanceof GraphError && !(err instanceof GraphThrottledError) && !TRANSIENT_STATUSES.has(err.status);

/**
 * Runs a lookup. A lasting answer of Graph's about the message (see isLastingAnswer) answers `fallback`
 * (and is logged); throttling, timeouts, network and 401/5xx-gateway errors are thrown: the run fails and
 * the page is replayed, so a passing failure never turns a moved message into a tombstone.
 */
async function lookup<T>(ctx: RemovalContext, request: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await request();
  } catch (err) {
    if (!isLastingAnswer(err)) throw err;
    logEvent("warn", "mailbox_live_removal_lookup_failed", {
      orgId: ctx.orgId,
      error: err instanceof Error ? err.message.slice(0, 200) : typeof err,
    });
    return fallback;
  }
}

/**
 * `worthALookup`: which of the removed Graph ids are worth a lookup, asked of wherever the mailbox's mail is
 * (D1's rows, or its Durable Object's).
 */
export async function resolveRemovals(
  worthALookup: (removed: string[]) => Promise<string[]>,
  graph: GraphReader | null,
  ctx: RemovalContext,
  removed: string[],
): Promise<ResolvedRemovals> {
  if (removed.length === 0 || !graph) return NOTHING_MOVED(removed);
  const results = (await worthALookup(removed)).map((graph_id) => ({ graph_id }));
  if (results.length === 0) return NOTHING_MOVED(removed);
  ctx.folderIds ??= lookup(
    ctx,
    () =>
      Promise.all([
        folderIdOf(graph, ctx.mailbox, ctx.folder),
        folderIdOf(graph, ctx.mailbox, otherFolder(ctx.folder)),
      ] as const),
    null,
  );
  const folders = await ctx.folderIds;
  if (!folders) return NOTHING_MOVED(removed);
  const [here, there] = folders;
  const stayed = new Set<string>();
  const moved = new Map<string, GraphMessage>();
  await forEachConcurrently(results, LOOKUP_CONCURRENCY, async ({ graph_id }) => {
    const folderId = await lookup(ctx, () => messageFolder(graph, ctx.mailbox, graph_id), null);
    if (folderId === here) stayed.add(graph_id);
    if (folderId !== there) return;
    const message = await lookup(ctx, () => currentMessage(graph, ctx.mailbox, graph_id), null);
    if (message && message.id === graph_id) moved.set(graph_id, message);
  });
  return {
    removed: removed.filter((id) => !stayed.has(id) && !moved.has(id)),
    movedIn: [...moved.values()],
    lookups: results.length,
  };
}
