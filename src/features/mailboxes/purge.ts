import { deleteMailboxContent } from "@/db/message-store";
import { deleteMailboxStore } from "@/db/stores/mailbox-stores.store";
import { findMailbox } from "@/db/stores/outlook-mailboxes.store";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import { lockStub } from "./sync/lock-stub";
import { deleteMailboxItems } from "./sync/mailbox-sync-items.store";
import type { SyncTask } from "./sync/tasks";

/**
 * Removing a disconnected mailbox's imported mail (disconnectOutlookMailbox with `deleteImportedMail`),
 * and the writers' part of it. A sync or live write stores a message's objects in R2 first and its D1 row
 * after, under a guard that refuses once the mailbox is disconnected (the mapping is gone, its sync
 * CANCELLED). So a write racing the purge either landed its row before the disconnect (the purge, which
 * runs after it, deletes row and objects) or is refused: then the writer removes the objects it stored
 * itself (`dropUnclaimedContent`, src/db/message-store/unclaimed.ts), whichever of the two finishes last.
 */

/**
 * Deletes the mailbox's imported messages, their attachment rows and its import state (D1 first), then
 * every object under the mailbox's prefix, then the message index of the mailbox's Durable Object;
 * idempotent, so a retry finishes what a failed attempt left.
 * Only while the mailbox is not connected (a reconnected mailbox's new mail is not the old one's to
 * delete): answers the number of messages deleted, or null when it was connected again.
 */
export async function purgeMailboxMail(
  services: Pick<Services, "db" | "d1" | "messageContent" | "mailboxObjects">,
  orgId: string,
  email: string,
): Promise<number | null> {
  if (await findMailbox(services.db, orgId, email)) return null;
  const removed = await deleteMailboxContent(services, orgId, email);
  await deleteMailboxItems(services.d1, orgId, email);
  await lockStub(services, orgId, email).dropMessageIndex();
  await deleteMailboxStore(services.db, orgId, email);
  logEvent("info", "outlook_mailbox_mail_deleted", { orgId, messages: removed.messages, objects: removed.objects });
  return removed.messages;
}

/**
 * The purge of a disconnect: in the request, and should it fail there (a D1 or R2 error, a very big
 * mailbox), as a `purge` queue task that the queue retries until it is done.
 */
export async function purgeAfterDisconnect(
  services: Pick<Services, "db" | "d1" | "messageContent" | "mailboxObjects" | "queues">,
  orgId: string,
  email: string,
): Promise<void> {
  try {
    await purgeMailboxMail(services, orgId, email);
  } catch (err) {
    logEvent("warn", "outlook_mailbox_mail_delete_deferred", {
      orgId,
      error: err instanceof Error ? err.name : typeof err,
    });
    await services.queues.mailboxSync.send({ kind: "purge", orgId, mailbox: email } satisfies SyncTask);
  }
}
