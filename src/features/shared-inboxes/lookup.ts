import { and, eq, sql } from "drizzle-orm";
import { type Database, getDb } from "@/db/client";
import { inboxBuckets, sharedInboxes } from "@/db/schema";
import { notFound } from "@/lib/errors";
import type { AppEnv } from "@/lib/types";
import { DEFAULT_INBOX_ID } from "@/shared/default-inbox";
import { DEFAULT_INBOX, type SharedInboxView, toSharedInboxResponse } from "./response";

export const inboxNotFound = (id: string) => notFound(`Shared inbox '${id}' not found`);

function inboxesWithBuckets(db: Database) {
  return db
    .select({ inbox: sharedInboxes, bucketId: inboxBuckets.id })
    .from(sharedInboxes)
    .leftJoin(
      inboxBuckets,
      and(eq(inboxBuckets.orgId, sharedInboxes.orgId), eq(inboxBuckets.inboxId, sharedInboxes.id)),
    );
}

/** One of the org's inboxes with its bucket, the built-in default inbox included; undefined when missing. */
export async function findSharedInbox(db: Database, orgId: string, id: string): Promise<SharedInboxView | undefined> {
  if (id === DEFAULT_INBOX_ID) return DEFAULT_INBOX;
  const row = await inboxesWithBuckets(db)
    .where(and(eq(sharedInboxes.orgId, orgId), eq(sharedInboxes.id, id)))
    .get();
  return row ? toSharedInboxResponse(row.inbox, row.bucketId) : undefined;
}

/** 404 when the org has no such inbox. */
export async function getSharedInbox(env: AppEnv, orgId: string, id: string): Promise<SharedInboxView> {
  const inbox = await findSharedInbox(getDb(env.DB), orgId, id);
  if (!inbox) throw inboxNotFound(id);
  return inbox;
}

/** The list query, built once per database (drizzle's query building costs about as much as a D1 read). */
const listQueries = new WeakMap<Database, ReturnType<typeof prepareList>>();

function prepareList(db: Database) {
  return inboxesWithBuckets(db)
    .where(eq(sharedInboxes.orgId, sql.placeholder("orgId")))
    .orderBy(sharedInboxes.createdAt, sql`${sharedInboxes}.rowid`)
    .prepare();
}

/** The org's stored inboxes in creation order (the default inbox is implicit and not listed). */
export async function listSharedInboxes(env: AppEnv, orgId: string): Promise<SharedInboxView[]> {
  const db = getDb(env.DB);
  let query = listQueries.get(db);
  if (!query) {
    query = prepareList(db);
    listQueries.set(db, query);
  }
  const rows = await query.all({ orgId });
  return rows.map((row) => toSharedInboxResponse(row.inbox, row.bucketId));
}
