import type { Database } from "@/db/client";
import { findInboxRow, listInboxRows } from "@/db/stores/shared-inboxes.store";
import { notFound } from "@/lib/errors";
import type { Services } from "@/lib/services";
import { DEFAULT_INBOX_ID } from "@/shared/default-inbox";
import { DEFAULT_INBOX, type SharedInboxView, toSharedInboxResponse } from "./response";

export const inboxNotFound = (id: string) => notFound(`Shared inbox '${id}' not found`);

/** One of the org's inboxes with its bucket, the built-in default inbox included; undefined when missing. */
export async function findSharedInbox(db: Database, orgId: string, id: string): Promise<SharedInboxView | undefined> {
  if (id === DEFAULT_INBOX_ID) return DEFAULT_INBOX;
  const row = await findInboxRow(db, orgId, id);
  return row ? toSharedInboxResponse(row.inbox, row.bucketId) : undefined;
}

/** 404 when the org has no such inbox. */
export async function getSharedInbox(
  services: Pick<Services, "db">,
  orgId: string,
  id: string,
): Promise<SharedInboxView> {
  const inbox = await findSharedInbox(services.db, orgId, id);
  if (!inbox) throw inboxNotFound(id);
  return inbox;
}

/** The org's stored inboxes in creation order (the default inbox is implicit and not listed). */
export async function listSharedInboxes(services: Pick<Services, "db">, orgId: string): Promise<SharedInboxView[]> {
  const rows = await listInboxRows(services.db, orgId);
  return rows.map((row) => toSharedInboxResponse(row.inbox, row.bucketId));
}
