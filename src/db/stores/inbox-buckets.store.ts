/**
 * The statements of `inbox_buckets`; org-scoped throughout. Here, below the features, because the
 * shared-inboxes room creates and deletes each bucket with its inbox and the inbox-buckets room lists them
 * (and that room already uses the shared-inboxes room's schemas, so the other way round would be a cycle).
 */
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { inboxBuckets } from "@/db/schema";

/** The org's buckets in creation order, as `{ id, inbox_id }`. */
export function listBucketRows(db: Database, orgId: string) {
  return db
    .select({ id: inboxBuckets.id, inbox_id: inboxBuckets.inboxId })
    .from(inboxBuckets)
    .where(eq(inboxBuckets.orgId, orgId))
    .orderBy(inboxBuckets.createdAt, sql`rowid`)
    .all();
}

/** The insert of an inbox's bucket; for the batch that inserts the inbox. */
export function insertBucketStatement(db: Database, row: typeof inboxBuckets.$inferInsert) {
  return db.insert(inboxBuckets).values(row);
}

/** Deletes the bucket of an inbox; for the batch that deletes the inbox. */
export function deleteInboxBucketStatement(db: Database, orgId: string, inboxId: string) {
  return db.delete(inboxBuckets).where(and(eq(inboxBuckets.orgId, orgId), eq(inboxBuckets.inboxId, inboxId)));
}
