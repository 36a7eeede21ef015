/** The reads of `inbox_buckets` (shared inboxes create and delete their buckets with themselves); org-scoped. */
import { eq, sql } from "drizzle-orm";
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
