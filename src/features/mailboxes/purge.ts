import { deleteMailboxContent } from "@/db/message-store";
import { deleteMailboxStore, deleteOrgMailboxStores, orgMailboxStores } from "@/db/stores/mailbox-stores.store";
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
 * Deletes the mailbox's imported mail: D1's rows of mail from before the objects and their import state first
 * (so a move of them into the object, which reads D1 under the mailbox's lease, finds nothing more to hand over),
 * then the Durable Object's whole storage (its lease too, so a move under way is refused from then on), then
 * every object under the mailbox's prefix in the message store (nothing listed points at it any more), then its
 * directory row; idempotent, so a retry finishes what a failed attempt left. Only while the mailbox is not
 * connected (a reconnected mailbox's new mail is not the old one's to delete): answers the number of messages
 * deleted, or null when it was connected again.
 */
export async function purgeMailboxMail(
  services: Pick<Services, "db" | "d1" | "messageContent" | "mailboxObjects">,
  orgId: string,
  email: string,
): Promise<number | null> {
  if (await findMailbox(services.db, orgId, email)) return null;
  let inObject = 0;
  const removed = await deleteMailboxContent(services, orgId, email, async () => {
    await deleteMailboxItems(services.d1, orgId, email);
    inObject = (await lockStub(services, orgId, email).dropMessageIndex()).messages;
  });
  await deleteMailboxStore(services.db, orgId, email);
  const messages = inObject + removed.messages;
  logEvent("info", "outlook_mailbox_mail_deleted", { orgId, messages, objects: removed.objects });
  return messages;
}

/**
 * Deletes all of an org's imported mail (offboarding an org): D1's rows of mail from before the objects, every
 * mailbox object the directory names, the org's whole prefix in the message store, then the directory.
 * Idempotent. Answers the messages and stored objects deleted.
 */
export async function purgeOrgMail(
  services: Pick<Services, "db" | "d1" | "messageContent" | "mailboxObjects">,
  orgId: string,
): Promise<{ messages: number; objects: number }> {
  let inObjects = 0;
  const removed = await deleteMailboxContent(services, orgId, undefined, async () => {
    for (const store of await orgMailboxStores(services.db, orgId)) {
      inObjects += (await lockStub(services, orgId, store.mailbox).dropMessageIndex()).messages;
    }
  });
  await deleteOrgMailboxStores(services.db, orgId);
  return { messages: inObjects + removed.messages, objects: removed.objects };
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
