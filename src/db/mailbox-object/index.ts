import { MessageEvents } from "./events.store";
import { MailboxMessages } from "./messages.store";
import { claimOwner, openMailboxDb } from "./open";

/**
 * A mailbox object's message index, as the object uses it: opened once (migrations applied) and checked
 * against the caller's org and mailbox on every call (against storage once, then against the owner it
 * remembers). `write` runs its statements in one transactionSync: all or nothing, and nothing else of the
 * object runs in between.
 */
export async function openMailboxIndex(storage: DurableObjectStorage) {
  const db = await openMailboxDb(storage);
  const messages = new MailboxMessages(storage.sql);
  const events = new MessageEvents(storage.sql);
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
    of(owner: { orgId: string; mailbox: string }) {
      check(owner);
      return messages;
    },
    /** Empties the index, whoever it belonged to (offboarding: the next owner starts empty). */
    dropAll() {
      storage.transactionSync(() => messages.dropAll());
      checkedOwner = undefined;
    },
    /** The owner's events not yet relayed to D1 (the first call records the owner). */
    eventsOf(owner: { orgId: string; mailbox: string }) {
      check(owner);
      return events;
    },
    write<T>(
      owner: { orgId: string; mailbox: string },
      change: (messages: MailboxMessages, events: MessageEvents) => T,
    ): T {
      const result = storage.transactionSync(() => {
        // Remembered only once the transaction commits: a rolled-back claim recorded nothing.
        if (keyOf(owner) !== checkedOwner) claimOwner(db, owner);
        return change(messages, events);
      });
      checkedOwner = keyOf(owner);
      return result;
    },
  };
}

export type MailboxIndex = Awaited<ReturnType<typeof openMailboxIndex>>;
export type { EventContext, PendingEvent } from "./events.store";
export type { D1MessageRow, IncomingMessage, ListingKey, StoredMessageRow, WrittenRows } from "./messages.store";
