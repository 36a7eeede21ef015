import { MessageAttachments } from "./attachments.store";
import { MessageEvents } from "./events.store";
import { ImportItems } from "./import-items.store";
import { MailboxMessages } from "./messages.store";
import { claimOwner, openMailboxDb, ownerOf } from "./open";
import { MessageSearch } from "./search.store";

/**
 * A mailbox object's message index, as the object uses it: opened once (migrations applied) and checked
 * against the caller's org and mailbox on every call (against storage once, then against the owner it
 * remembers). `write` runs its statements in one transactionSync: all or nothing, and nothing else of the
 * object runs in between.
 */
export async function openMailboxIndex(storage: DurableObjectStorage) {
  const db = await openMailboxDb(storage);
  const stores: IndexStores = {
    messages: new MailboxMessages(storage.sql),
    events: new MessageEvents(storage.sql),
    items: new ImportItems(storage.sql),
    attachments: new MessageAttachments(storage.sql),
    search: new MessageSearch(storage.sql),
  };
  let checkedOwner: string | undefined;
  const keyOf = (owner: { orgId: string; mailbox: string }) => JSON.stringify([owner.orgId, owner.mailbox]);
  const check = (owner: { orgId: string; mailbox: string }) => {
    const key = keyOf(owner);
    if (key === checkedOwner) return;
    claimOwner(db, owner);
    checkedOwner = key;
  };
  return {
    /** The index of `owner`'s mailbox (the first call records the owner; another owner is refused). */
    of(owner: { orgId: string; mailbox: string }): IndexStores {
      check(owner);
      return stores;
    },
    /** Whether listed rows wait to be put into the search index. */
    hasSearchBacklog(): boolean {
      return stores.search.backlog(1).length > 0;
    },
    /** How many message rows (tombstones too) the index holds, whoever it belongs to. */
    held(): number {
      const { listed, tombstones } = stores.messages.counts();
      return listed + tombstones;
    },
    /** Whom the index belongs to (recorded by its first write), if anyone yet. */
    owner(): { orgId: string; mailbox: string } | null {
      return ownerOf(db);
    },
    write<T>(owner: { orgId: string; mailbox: string }, change: (stores: IndexStores) => T): T {
      const result = storage.transactionSync(() => {
        // Remembered only once the transaction commits: a rolled-back claim recorded nothing.
        if (keyOf(owner) !== checkedOwner) claimOwner(db, owner);
        return change(stores);
      });
      checkedOwner = keyOf(owner);
      return result;
    },
  };
}

/** The statements of the index, by table. */
export interface IndexStores {
  messages: MailboxMessages;
  events: MessageEvents;
  items: ImportItems;
  attachments: MessageAttachments;
  search: MessageSearch;
}

export type MailboxIndex = Awaited<ReturnType<typeof openMailboxIndex>>;
export type { D1AttachmentRow, StoredAttachment } from "./attachments.store";
export type { EventContext, PendingEvent } from "./events.store";
export type { ImportItemStatus, ImportOutcome, MovedItem } from "./import-items.store";
export type { D1MessageRow, IncomingMessage, ListingKey, StoredMessageRow, WrittenRows } from "./messages.store";
export type { BacklogRow, SearchFields, SearchFilters } from "./search.store";
