import type { GraphMessage, SyncFolder } from "@/clients/graph/mail";
import { markSeenInRound, sweepUnseenRows } from "@/db/message-store";

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
  return idChunks.map((json) => markSeenInRound(db, ctx, resync.round, json));
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
  return [sweepUnseenRows(db, ctx, resync, now)];
}
