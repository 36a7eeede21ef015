import type { D1AttachmentRow, D1MessageRow, MovedItem } from "@/db/mailbox-object";
import type { Services } from "@/lib/services";
import type { MailboxSyncLock } from "./sync-lock";

/**
 * How features reach a mailbox's Durable Object (sync-lock.ts): its stub, and what its calls share. Apart from
 * the class, so that the class, an entry point that loads feature code on demand, is never imported at run time.
 */

/** The execution ids of the leases the move of a mailbox's mail from D1 takes (not an import). */
export const MOVE_PREFIX = "move:";

/** D1 rows of the mailbox taken over by its object, with their ids (the move, or a page touching them). */
export interface Adoption {
  messages: D1MessageRow[];
  attachments: D1AttachmentRow[];
  items: MovedItem[];
}

/** The lock of one mailbox. */
export function lockStub(services: Pick<Services, "mailboxObjects">, orgId: string, mailbox: string) {
  const ns = services.mailboxObjects as DurableObjectNamespace<MailboxSyncLock>;
  return ns.get(ns.idFromName(JSON.stringify([orgId, mailbox])));
}
