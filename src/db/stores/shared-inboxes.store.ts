/**
 * The statements of `shared_inboxes`: the reads, each inbox with its bucket (`inbox_buckets`), the existence
 * checks of the addresses that point at an inbox, and the writes; org-scoped throughout. Here, below the
 * features, because the shared-inboxes room and the rooms of what an inbox holds (addresses, messages) use it.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { inboxBuckets, sharedInboxes } from "@/db/schema";
import { DEFAULT_INBOX_ID } from "@/shared/default-inbox";

function inboxesWithBuckets(db: Database) {
  return db
    .select({ inbox: sharedInboxes, bucketId: inboxBuckets.id })
    .from(sharedInboxes)
    .leftJoin(
      inboxBuckets,
      and(eq(inboxBuckets.orgId, sharedInboxes.orgId), eq(inboxBuckets.inboxId, sharedInboxes.id)),
    );
}

/** One stored inbox of the org with its bucket id; undefined when missing. */
export function findInboxRow(db: Database, orgId: string, id: string) {
  return inboxesWithBuckets(db)
    .where(and(eq(sharedInboxes.orgId, orgId), eq(sharedInboxes.id, id)))
    .get();
}

/** The id of one stored inbox of the org, as a query: `.get()` it, or put it in an EXISTS condition. */
export function inboxIdQuery(db: Database, orgId: string, id: string) {
  return db
    .select({ id: sharedInboxes.id })
    .from(sharedInboxes)
    .where(and(eq(sharedInboxes.orgId, orgId), eq(sharedInboxes.id, id)));
}

/** Whether the org has the inbox (the built-in default inbox always exists). */
export async function inboxExists(db: Database, orgId: string, id: string): Promise<boolean> {
  return id === DEFAULT_INBOX_ID || (await findInboxRow(db, orgId, id)) !== undefined;
}

/** The org's stored inboxes with their bucket ids, in creation order. */
export function listInboxRows(db: Database, orgId: string) {
  return inboxesWithBuckets(db)
    .where(eq(sharedInboxes.orgId, orgId))
    .orderBy(sharedInboxes.createdAt, sql`${sharedInboxes}.rowid`)
    .all();
}

/** The insert of a new inbox, returning the stored row; for a batch with its bucket's insert. */
export function insertInboxStatement(db: Database, row: typeof sharedInboxes.$inferInsert) {
  return db.insert(sharedInboxes).values(row).returning();
}

/** Sets the given columns of one inbox; answers its id, undefined when the org has no such inbox. */
export function updateInboxRow(
  db: Database,
  orgId: string,
  id: string,
  values: Partial<typeof sharedInboxes.$inferInsert>,
) {
  return db
    .update(sharedInboxes)
    .set(values)
    .where(and(eq(sharedInboxes.orgId, orgId), eq(sharedInboxes.id, id)))
    .returning({ id: sharedInboxes.id })
    .get();
}

/** Deletes one inbox, returning its id when it was there; for a batch with what moves out of it. */
export function deleteInboxStatement(db: Database, orgId: string, id: string) {
  return db
    .delete(sharedInboxes)
    .where(and(eq(sharedInboxes.orgId, orgId), eq(sharedInboxes.id, id)))
    .returning({ id: sharedInboxes.id });
}
