import { eq, sql } from "drizzle-orm";
import { getDb } from "@/db/client";
import { inboxBuckets } from "@/db/schema";
import type { AppEnv } from "@/lib/types";

/** A bucket as the API answers it (the InboxBucketResponse of the contract). */
export interface InboxBucketView {
  id: string;
  inbox_id: string;
}

/** The buckets of the org's stored inboxes in creation order (the default inbox's bucket is implicit). */
export function listInboxBuckets(env: AppEnv, orgId: string): Promise<InboxBucketView[]> {
  return getDb(env.DB)
    .select({ id: inboxBuckets.id, inbox_id: inboxBuckets.inboxId })
    .from(inboxBuckets)
    .where(eq(inboxBuckets.orgId, orgId))
    .orderBy(inboxBuckets.createdAt, sql`rowid`)
    .all();
}
