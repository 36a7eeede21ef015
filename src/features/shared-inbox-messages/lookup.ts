import type { Database } from "@/db/client";
import { findInboxMessageRow } from "@/db/message-store";
import { inboxExists } from "@/db/stores/shared-inboxes.store";
import { notFound } from "@/lib/errors";

/** 404 unless the org has the shared inbox (an inbox of another org answers like a missing one). */
export async function assertInbox(db: Database, orgId: string, inboxId: string) {
  if (!(await inboxExists(db, orgId, inboxId))) throw notFound(`Shared inbox '${inboxId}' not found`);
}

/** The org's live (not deleted) message of that inbox, or 404 (the inbox first, as everywhere). */
export async function findInboxMessage(db: Database, orgId: string, inboxId: string, messageId: string) {
  await assertInbox(db, orgId, inboxId);
  const row = await findInboxMessageRow(db, orgId, inboxId, messageId);
  if (!row) throw notFound(`Message '${messageId}' not found in shared inbox '${inboxId}'`);
  return row;
}

export type InboxMessageRow = Awaited<ReturnType<typeof findInboxMessage>>;
