import { and, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { outlookMailboxes } from "@/db/schema";

/**
 * The statements of `outlook_mailboxes`, the org's mailbox mappings: the lookups, listings and writes of the
 * mailbox feature (connect, disconnect, an inbox's deletion moving them), the fencing token an import's lease records on its mailbox, and the hourly schedule's
 * listing of every mailbox for live sync.
 */

/** The org's connected mailbox of that address (the mapping), if any. */
/** Whether the mailbox is connected (raw D1, for the message store's cleanup of refused writes). */
export async function mailboxConnected(d1: D1Database, orgId: string, email: string): Promise<boolean> {
  return !!(await d1
    .prepare("SELECT 1 AS found FROM outlook_mailboxes WHERE org_id = ?1 AND email = ?2")
    .bind(orgId, email)
    .first());
}

export function findMailbox(db: Database, orgId: string, email: string) {
  return db
    .select()
    .from(outlookMailboxes)
    .where(and(eq(outlookMailboxes.orgId, orgId), eq(outlookMailboxes.email, email)))
    .get();
}

/** Stores the org's mapping of a newly connected mailbox (the primary key rejects a second one). */
export function insertMailbox(db: Database, row: typeof outlookMailboxes.$inferInsert) {
  return db.insert(outlookMailboxes).values(row);
}

/** Deletes the org's mapping of that address; returns its address when there was one. */
export function deleteMailbox(db: Database, orgId: string, email: string) {
  return db
    .delete(outlookMailboxes)
    .where(and(eq(outlookMailboxes.orgId, orgId), eq(outlookMailboxes.email, email)))
    .returning({ email: outlookMailboxes.email });
}

/** The org's mailbox mappings, oldest first (connected in the same instant: in insertion order). */
export function listOrgMailboxes(db: Database, orgId: string) {
  return db
    .select()
    .from(outlookMailboxes)
    .where(eq(outlookMailboxes.orgId, orgId))
    .orderBy(outlookMailboxes.connectedAt, sql`rowid`)
    .all();
}

/** The addresses of the org's mailboxes in a tenant. */
export function tenantMailboxEmails(db: Database, orgId: string, tenantId: string) {
  return db
    .select({ email: outlookMailboxes.email })
    .from(outlookMailboxes)
    .where(and(eq(outlookMailboxes.orgId, orgId), eq(outlookMailboxes.tenantId, tenantId.toLowerCase())))
    .all();
}

/** The org's mailbox mappings in a tenant. */
export function listTenantMailboxes(db: Database, orgId: string, tenantId: string) {
  return db
    .select()
    .from(outlookMailboxes)
    .where(and(eq(outlookMailboxes.orgId, orgId), eq(outlookMailboxes.tenantId, tenantId.toLowerCase())))
    .all();
}

/** Moves the org's mailbox mappings of one shared inbox to another (a deleted inbox's successor). */
export function moveMailboxesToInbox(db: Database, orgId: string, fromInboxId: string, toInboxId: string) {
  return db
    .update(outlookMailboxes)
    .set({ sharedInboxId: toInboxId })
    .where(and(eq(outlookMailboxes.orgId, orgId), eq(outlookMailboxes.sharedInboxId, fromInboxId)));
}

/**
 * Records the newest lease's token on the mailbox (never an older one); import writes check it (fencing).
 * Answers the mailbox's address when it was recorded: none when the mailbox is gone.
 */
export function fenceMailbox(db: Database, orgId: string, email: string, token: number) {
  return db
    .update(outlookMailboxes)
    .set({ syncFencingToken: token })
    .where(
      and(
        eq(outlookMailboxes.orgId, orgId),
        eq(outlookMailboxes.email, email),
        sql`(${outlookMailboxes.syncFencingToken} IS NULL OR ${outlookMailboxes.syncFencingToken} < ${token})`,
      ),
    )
    .returning({ email: outlookMailboxes.email });
}

/** A mailbox as the hourly live-sync schedule reads it (listMailboxesForLive). */
export interface LiveMailboxRow {
  org_id: string;
  email: string;
  tenant_id: string;
  connected_at: string;
  /** When its last sync (import) started. */
  last_sync_at: string | null;
  /** Its tenant connection's status (null: no connection row). */
  connection_status: string | null;
}

/**
 * One page of every org's mailboxes, ordered by (org, address), after the keyset `after` ([org, address]
 * of the previous page's last row), with their tenant connection's status and their last sync's start.
 */
export async function listMailboxesForLive(
  d1: D1Database,
  after: readonly [string, string],
  limit: number,
): Promise<LiveMailboxRow[]> {
  const { results } = await d1
    .prepare(
      `SELECT m.org_id, m.email, m.tenant_id, m.connected_at, c.status AS connection_status,
        (SELECT max(e.started_at) FROM mailbox_sync_executions e WHERE e.org_id = m.org_id AND e.mailbox = m.email)
          AS last_sync_at
       FROM outlook_mailboxes m
       LEFT JOIN outlook_connections c ON c.org_id = m.org_id AND c.tenant_id = m.tenant_id
       WHERE (m.org_id, m.email) > (?1, ?2) ORDER BY m.org_id, m.email LIMIT ?3`,
    )
    .bind(after[0], after[1], limit)
    .all<LiveMailboxRow>();
  return results;
}
