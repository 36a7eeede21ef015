import type { GraphClient } from "@/clients/graph/client";
import { currentMessage, folderIdOf } from "@/clients/graph/live";
import type { GraphMessage, SyncFolder } from "@/clients/graph/mail";
import { forEachConcurrently } from "@/lib/concurrency";

/**
 * What a delta page's removals mean. A delta round reports a message that left its folder as `@removed`,
 * whether it was deleted or moved; a message moved into the other synced folder comes back in that folder's
 * round only when it is in the round's window (mail received since the connect), so mail received before
 * it, imported or being imported, would be lost on a move. Each removal that can matter (the message is
 * stored in this folder, or an import is running) is looked up in Graph: a message now in the other synced
 * folder is a move, written there; a message gone (404) or in any other folder (Deleted Items, an archive)
 * is a removal.
 */

export interface ResolvedRemovals {
  /** Left the synced folders. */
  removed: string[];
  /** Now in the other synced folder: their current state, to be written there. */
  movedIn: GraphMessage[];
}

type Reader = Pick<GraphClient, "url" | "get">;

/** Lookups in flight at once (the mailbox's Graph slots bound them further). */
const LOOKUP_CONCURRENCY = 4;

// ?1 org, ?2 mailbox, ?3 folder, ?4 ids (JSON)
const WORTH_A_LOOKUP = `SELECT j.value AS graph_id FROM json_each(?4) AS j
WHERE EXISTS (SELECT 1 FROM imported_messages im WHERE im.org_id = ?1 AND im.mailbox = ?2
    AND im.graph_id = j.value AND im.folder = ?3 AND im.deleted_at IS NULL)
  OR (NOT EXISTS (SELECT 1 FROM imported_messages im WHERE im.org_id = ?1 AND im.mailbox = ?2
        AND im.graph_id = j.value)
      AND EXISTS (SELECT 1 FROM mailbox_sync_executions e WHERE e.org_id = ?1 AND e.mailbox = ?2
        AND e.status = 'RUNNING'))`;

export const otherFolder = (folder: SyncFolder): SyncFolder => (folder === "inbox" ? "sentitems" : "inbox");

export async function resolveRemovals(
  db: D1Database,
  graph: Reader | null,
  ctx: { orgId: string; mailbox: string; folder: SyncFolder },
  removed: string[],
): Promise<ResolvedRemovals> {
  if (removed.length === 0 || !graph) return { removed, movedIn: [] };
  const { results } = await db
    .prepare(WORTH_A_LOOKUP)
    .bind(ctx.orgId, ctx.mailbox, ctx.folder, JSON.stringify(removed))
    .all<{ graph_id: string }>();
  if (results.length === 0) return { removed, movedIn: [] };
  const target = await folderIdOf(graph, ctx.mailbox, otherFolder(ctx.folder));
  const moved = new Map<string, GraphMessage>();
  await forEachConcurrently(results, LOOKUP_CONCURRENCY, async ({ graph_id }) => {
    const now = await currentMessage(graph, ctx.mailbox, graph_id);
    if (now && now.parentFolderId === target && now.id === graph_id) moved.set(graph_id, now);
  });
  return { removed: removed.filter((id) => !moved.has(id)), movedIn: [...moved.values()] };
}
