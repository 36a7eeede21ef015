import { type Database, nowIso } from "@/db/client";
import { deleteInboxBucketStatement } from "@/db/stores/inbox-buckets.store";
import { deleteInboxStatement } from "@/db/stores/shared-inboxes.store";
import { moveAddressesToInboxStatement } from "@/features/email-addresses";
import { moveMailboxDataStatements } from "@/features/mailboxes";
import { badRequest } from "@/lib/errors";
import type { Services } from "@/lib/services";
import { DEFAULT_INBOX_ID } from "@/shared/default-inbox";
import { findSharedInbox, inboxNotFound } from "./lookup";

/**
 * Deletes an inbox and its bucket; its addresses, Outlook mailboxes and imported mail move to the
 * successor (default: the default inbox), all in one transaction. 400 for the default inbox, for a
 * successor equal to the inbox or unknown to the org; 404 when the org has no such inbox.
 */
export async function deleteSharedInbox(
  services: Pick<Services, "db">,
  orgId: string,
  userId: string | undefined,
  id: string,
  successorInboxId: string | undefined,
): Promise<void> {
  const successorId = successorInboxId ?? DEFAULT_INBOX_ID;
  if (id === DEFAULT_INBOX_ID) throw badRequest("The default inbox is built in and cannot be deleted");
  const { db } = services;
  if (!(await findSharedInbox(db, orgId, id))) throw inboxNotFound(id);
  if (successorId === id) throw badRequest("successorInboxId: must differ from the inbox being deleted");
  if (!(await findSharedInbox(db, orgId, successorId))) {
    throw badRequest(`successorInboxId: shared inbox '${successorId}' does not exist in this organization`);
  }
  const [, , deleted] = await db.batch(moveAndDeleteStatements(db, orgId, userId, id, successorId));
  if (deleted.length === 0) throw inboxNotFound(id);
}

function moveAndDeleteStatements(
  db: Database,
  orgId: string,
  userId: string | undefined,
  id: string,
  successorId: string,
) {
  return [
    moveAddressesToInboxStatement(db, orgId, id, successorId, userId, nowIso()),
    deleteInboxBucketStatement(db, orgId, id),
    deleteInboxStatement(db, orgId, id),
    // Outlook mailbox mappings and their imported messages follow the addresses to the successor.
    ...moveMailboxDataStatements(db, orgId, id, successorId),
  ] as const;
}
