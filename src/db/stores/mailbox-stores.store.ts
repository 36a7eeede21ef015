import { and, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { type MailboxStoreState, mailboxStores } from "@/db/schema";

/**
 * The statements of `mailbox_stores`, the directory of where each mailbox's mail is: its Durable Object
 * (`object`), on its way there from D1 (`moving`), or, without a row, still in D1. Read by the writers (which
 * store a page goes to), the listing (which objects feed an inbox), the move and the inbox deletion.
 */

/** The directory row of a mailbox, if its mail is (or is moving) in its object. */
export function findMailboxStore(db: Database, orgId: string, mailbox: string) {
  return db
    .select()
    .from(mailboxStores)
    .where(and(eq(mailboxStores.orgId, orgId), eq(mailboxStores.mailbox, mailbox)))
    .get();
}

/** Whether the mailbox's mail is (or is moving) in its object (raw D1, for the message store's clean-up). */
export async function hasMailboxStore(d1: D1Database, orgId: string, mailbox: string): Promise<boolean> {
  return !!(await d1
    .prepare("SELECT 1 AS found FROM mailbox_stores WHERE org_id = ?1 AND mailbox = ?2")
    .bind(orgId, mailbox)
    .first());
}

/** The mailboxes whose objects feed a shared inbox. */
export function inboxMailboxStores(db: Database, orgId: string, inboxId: string) {
  return db
    .select()
    .from(mailboxStores)
    .where(and(eq(mailboxStores.orgId, orgId), eq(mailboxStores.sharedInboxId, inboxId)))
    .all();
}

/**
 * A connect of a mailbox with no mail in D1 (the caller checks): its mail goes to its object from the start (a
 * row `object`); one already in the directory is listed in the inbox it is connected to now (its kept mail
 * follows).
 */
export function claimObjectStore(db: Database, row: { orgId: string; mailbox: string; inboxId: string; now: string }) {
  return db
    .insert(mailboxStores)
    .values({ orgId: row.orgId, mailbox: row.mailbox, sharedInboxId: row.inboxId, state: "object", updatedAt: row.now })
    .onConflictDoUpdate({
      target: [mailboxStores.orgId, mailboxStores.mailbox],
      set: { sharedInboxId: row.inboxId, updatedAt: row.now },
    });
}

/** Sets a mailbox's store (the move: `moving`, then `object`), creating its row. */
export function setMailboxStore(
  db: Database,
  row: { orgId: string; mailbox: string; inboxId: string; state: MailboxStoreState; now: string },
) {
  return db
    .insert(mailboxStores)
    .values({
      orgId: row.orgId,
      mailbox: row.mailbox,
      sharedInboxId: row.inboxId,
      state: row.state,
      updatedAt: row.now,
    })
    .onConflictDoUpdate({
      target: [mailboxStores.orgId, mailboxStores.mailbox],
      set: { state: row.state, updatedAt: row.now },
    });
}

/** A move is done: `moving` becomes `object` (a row a purge deleted meanwhile stays deleted). */
export function finishMove(db: Database, orgId: string, mailbox: string, now: string) {
  return db
    .update(mailboxStores)
    .set({ state: "object", updatedAt: now })
    .where(and(eq(mailboxStores.orgId, orgId), eq(mailboxStores.mailbox, mailbox), eq(mailboxStores.state, "moving")));
}

/** The mailboxes of the org's deleted inbox are listed in its successor (one row per mailbox, no message). */
export function moveStoresToInbox(db: Database, orgId: string, fromInboxId: string, toInboxId: string) {
  return db
    .update(mailboxStores)
    .set({ sharedInboxId: toInboxId })
    .where(and(eq(mailboxStores.orgId, orgId), eq(mailboxStores.sharedInboxId, fromInboxId)));
}

/**
 * Forgets a disconnected mailbox whose mail was deleted (its object emptied); a mailbox connected again
 * meanwhile keeps its row (its new mail is in its object).
 */
export function deleteMailboxStore(db: Database, orgId: string, mailbox: string) {
  return db.run(sql`DELETE FROM mailbox_stores WHERE org_id = ${orgId} AND mailbox = ${mailbox}
    AND NOT EXISTS (SELECT 1 FROM outlook_mailboxes WHERE org_id = ${orgId} AND email = ${mailbox})`);
}

/** Every mailbox of the org whose mail is (or is moving) in its object. */
export function orgMailboxStores(db: Database, orgId: string) {
  return db.select().from(mailboxStores).where(eq(mailboxStores.orgId, orgId)).all();
}

/** Forgets the org's mailboxes (all of its mail was deleted). */
export function deleteOrgMailboxStores(db: Database, orgId: string) {
  return db.delete(mailboxStores).where(eq(mailboxStores.orgId, orgId));
}

/** The org's mailboxes in any of `states` (the move's work list), oldest change first. */
export function mailboxStoresIn(db: Database, states: MailboxStoreState[], limit: number) {
  return db
    .select()
    .from(mailboxStores)
    .where(inArray(mailboxStores.state, states))
    .orderBy(mailboxStores.updatedAt)
    .limit(limit)
    .all();
}
