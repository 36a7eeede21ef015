import { MESSAGE_RECEIVED } from "@/db/outbox/webhook-events.store";
import type { IncomingMessage, WrittenRows } from "./messages.store";

/**
 * The mailbox object's outbox of message events (`message_events`): written in the same transaction as the
 * rows they describe, handed to the webhook pipeline in D1 by the relay (src/db/outbox/message-events-relay.ts,
 * idempotent by event id) and deleted here once it has them. So a message never emits twice, and an event is
 * never lost between the object's write and D1.
 */

/** The event id of a message (`msg_` and the id's hex), the same D1's writers give it. */
export const messageReceivedEventId = (messageId: string) => `msg_${messageId.replaceAll("-", "").toLowerCase()}`;

export interface PendingEvent {
  id: string;
  type: string;
  payload: string;
  created_at: string;
}

/** What an event names besides the message: the mailbox and the inbox it feeds. */
export interface EventContext {
  mailbox: string;
  sharedInboxId: string;
  now: string;
}

const cut = (value: string | null, max: number) => (value === null ? null : value.slice(0, max));

/** The payload of `message.received`, field for field as D1's writers build it (json_object, same cuts). */
export function messageReceivedPayload(row: IncomingMessage, context: EventContext): string {
  return JSON.stringify({
    type: MESSAGE_RECEIVED,
    timestamp: context.now,
    data: {
      message_id: row.uid,
      mailbox: context.mailbox,
      shared_inbox_id: context.sharedInboxId,
      subject: cut(row.subject, 1000),
      from: { address: cut(row.from_address, 320), name: cut(row.from_name, 300) },
      received_at: row.received_at,
    },
  });
}

export class MessageEvents {
  constructor(private readonly sql: SqlStorage) {}

  /**
   * `message.received` for each row a write added as a new message (its id is the incoming one: a refreshed
   * row keeps its old id) that is in the inbox. Call inside the write's transaction.
   */
  recordReceived(rows: IncomingMessage[], written: WrittenRows, context: EventContext): number {
    const added = new Set(written.written.filter((row) => row.folder === "inbox").map((row) => row.id));
    let recorded = 0;
    for (const row of rows) {
      if (!added.has(row.uid)) continue;
      this.sql.exec(
        "INSERT INTO message_events (id, type, payload, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        messageReceivedEventId(row.uid),
        MESSAGE_RECEIVED,
        messageReceivedPayload(row, context),
        context.now,
      );
      recorded += 1;
    }
    return recorded;
  }

  /** Up to `limit` events not yet relayed, oldest first. */
  pending(limit: number): PendingEvent[] {
    return this.sql
      .exec<Record<string, string>>(
        "SELECT id, type, payload, created_at FROM message_events ORDER BY created_at, id LIMIT ?1",
        limit,
      )
      .toArray() as unknown as PendingEvent[];
  }

  /** Forgets events the relay has handed to D1. */
  ack(ids: string[]): void {
    this.sql.exec("DELETE FROM message_events WHERE id IN (SELECT value FROM json_each(?1))", JSON.stringify(ids));
  }
}
