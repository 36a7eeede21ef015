import type { GraphMessage, SyncFolder } from "@/clients/graph/mail";

/**
 * What closes a resync round (a fresh delta round after an expired token): Graph reports no removals for
 * it, so a message deleted while the token was expired is found by absence. Every page of the round marks
 * the rows of the messages it returns (`live_seen_round`, whether their upsert changed them or not); the
 * page with the round's deltaLink then tombstones, in the same transaction, every listed row of the folder
 * whose received time lies in the round's window and that the round did not mark. Marks are idempotent and
 * the round id is kept with the cursor, so a round spanning several runs, or a replayed page, agrees.
 */

export interface ResyncRound {
  /** Unique per round and folder. */
  round: string;
  /** The round's filter window: `receivedDateTime ge since` (ISO)… */
  since: string;
  /** …up to when the round started (ISO): later rows are left to the next round. */
  startedAt: string;
}

// ?1 org, ?2 mailbox, ?3 folder, ?4 round, ?5 Graph ids (JSON)
const MARK = `UPDATE imported_messages SET live_seen_round = ?4
WHERE org_id = ?1 AND mailbox = ?2 AND folder = ?3 AND graph_id IN (SELECT value FROM json_each(?5))`;

// ?1 org, ?2 mailbox, ?3 folder, ?4 round, ?5 window start, ?6 round start, ?7 now
const SWEEP = `UPDATE imported_messages SET deleted_at = ?7, body = NULL, body_sanitized = NULL, body_preview = NULL
WHERE org_id = ?1 AND mailbox = ?2 AND folder = ?3 AND deleted_at IS NULL
  AND received_at >= ?5 AND received_at <= ?6 AND imported_at <= ?6
  AND live_seen_round IS NOT ?4
  AND EXISTS (SELECT 1 FROM outlook_mailboxes m WHERE m.org_id = ?1 AND m.email = ?2)
RETURNING graph_id`;

interface SweepContext {
  orgId: string;
  mailbox: string;
  folder: SyncFolder;
  resync?: ResyncRound;
}

/** The ids of the messages a page reports present (incomplete ones too: they exist at Graph). */
export function presentIds(present: GraphMessage[]): string[] {
  return present.map((m) => m.id).filter((id): id is string => typeof id === "string" && id !== "");
}

/** Marks for a resync round's page (none for a normal round). */
export function markStatements(db: D1Database, ctx: SweepContext, idChunks: string[]): D1PreparedStatement[] {
  const resync = ctx.resync;
  if (!resync) return [];
  return idChunks.map((json) => db.prepare(MARK).bind(ctx.orgId, ctx.mailbox, ctx.folder, resync.round, json));
}

/** The tombstoning at a resync round's deltaLink (none for a normal round or a page in mid-round). */
export function sweepStatements(
  db: D1Database,
  ctx: SweepContext,
  page: { deltaLink?: string },
  now: string,
): D1PreparedStatement[] {
  const resync = ctx.resync;
  if (!resync || page.deltaLink === undefined) return [];
  return [
    db.prepare(SWEEP).bind(ctx.orgId, ctx.mailbox, ctx.folder, resync.round, resync.since, resync.startedAt, now),
  ];
}
