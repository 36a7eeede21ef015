import { MessageEvents } from "./events.store";
import { MailboxMessages } from "./messages.store";
import { claimOwner, openMailboxDb } from "./open";

/**
 * A mailbox object's message index, as the object uses it: opened once (migrations applied) and checked
 * against the caller's org and mailbox on every call. `write` runs its statements in one transactionSync:
 * all or nothing, and nothing else of the object runs in between.
 */
export async function openMailboxIndex(storage: DurableObjectStorage) {
  const db = await openMailboxDb(storage);
  const messages = new MailboxMessages(storage.sql);
  const events = new MessageEvents(storage.sql);
  return {
    db,
    messages,
    events,
    /** The index of `owner`'s mailbox (the first call records the owner; another owner is refused). */
    of(owner: { orgId: string; mailbox: string }) {
      claimOwner(db, owner);
      return messages;
    },
    /** Empties the index, whoever it belonged to (offboarding: the next owner starts empty). */
    dropAll() {
      storage.transactionSync(() => messages.dropAll());
    },
    /** The owner's events not yet relayed to D1 (the first call records the owner). */
    eventsOf(owner: { orgId: string; mailbox: string }) {
      claimOwner(db, owner);
      return events;
    },
    write<T>(
      owner: { orgId: string; mailbox: string },
      change: (messages: MailboxMessages, events: MessageEvents) => T,
    ): T {
      return storage.transactionSync(() => {
        claimOwner(db, owner);
        return change(messages, events);
      });
    },
  };
}

export type MailboxIndex = Awaited<ReturnType<typeof openMailboxIndex>>;
export type { EventContext, PendingEvent } from "./events.store";
export type { D1MessageRow, IncomingMessage, ListingKey, StoredMessageRow, WrittenRows } from "./messages.store";
