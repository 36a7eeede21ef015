import { eq, sql } from "drizzle-orm";
import { getDb } from "@/db/client";
import { inboxBuckets } from "@/db/schema";
import type { AppRouteHandler } from "@/lib/types";
import type { ListInboxBucketsRoute } from "./inbox-buckets.routes";

export const listInboxBuckets: AppRouteHandler<ListInboxBucketsRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const rows = await getDb(c.env.DB)
    .select({ id: inboxBuckets.id, inbox_id: inboxBuckets.inboxId })
    .from(inboxBuckets)
    .where(eq(inboxBuckets.orgId, orgId))
    .orderBy(inboxBuckets.createdAt, sql`rowid`)
    .all();
  return c.json(rows, 200);
};
