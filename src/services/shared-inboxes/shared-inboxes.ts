import { and, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { inboxBuckets, type SharedInboxRow, sharedInboxes } from "@/db/schema";
import { DEFAULT_INBOX_ID, type SharedInboxResponse } from "@/schemas/shared-inboxes";

export const DEFAULT_BUCKET_ID = "default";

/** The `default` inbox exists for every org without being stored. */
export const DEFAULT_INBOX: SharedInboxResponse = {
  id: DEFAULT_INBOX_ID,
  name: "Default",
  color: "#9E9E9E",
  assignees: [],
  bucket_id: DEFAULT_BUCKET_ID,
  created_at: "1970-01-01T00:00:00.000Z",
};

const inboxColumns = {
  inbox: sharedInboxes,
  bucketId: inboxBuckets.id,
};

function inboxesWithBuckets(db: Database) {
  return db
    .select(inboxColumns)
    .from(sharedInboxes)
    .leftJoin(
      inboxBuckets,
      and(eq(inboxBuckets.orgId, sharedInboxes.orgId), eq(inboxBuckets.inboxId, sharedInboxes.id)),
    );
}

export async function findSharedInbox(
  db: Database,
  orgId: string,
  id: string,
): Promise<SharedInboxResponse | undefined> {
  if (id === DEFAULT_INBOX_ID) return DEFAULT_INBOX;
  const row = await inboxesWithBuckets(db)
    .where(and(eq(sharedInboxes.orgId, orgId), eq(sharedInboxes.id, id)))
    .get();
  return row ? toSharedInboxResponse(row.inbox, row.bucketId) : undefined;
}

export async function listSharedInboxes(db: Database, orgId: string): Promise<SharedInboxResponse[]> {
  const rows = await inboxesWithBuckets(db)
    .where(eq(sharedInboxes.orgId, orgId))
    .orderBy(sharedInboxes.createdAt, sql`${sharedInboxes}.rowid`)
    .all();
  return rows.map((row) => toSharedInboxResponse(row.inbox, row.bucketId));
}

export function toSharedInboxResponse(row: SharedInboxRow, bucketId: string | null): SharedInboxResponse {
  return {
    id: row.id,
    name: row.name,
    ...(row.description != null && { description: row.description }),
    color: row.color,
    assignees: row.assignees,
    // Every stored inbox is created with its bucket in one batch; the fallback is defensive only.
    bucket_id: bucketId ?? DEFAULT_BUCKET_ID,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    ...(row.createdBy != null && { created_by: row.createdBy }),
    ...(row.updatedBy != null && { updated_by: row.updatedBy }),
  };
}
