/**
 * `message.received` events of the import and live writers, as outbox statements (see
 * src/db/outbox/outbox.ts) to put right after a `json_each` insert of `imported_messages` in the
 * same `db.batch`. One event per row that insert actually added: every row of a page carries a fresh
 * `uid` (convertMessage), so a message whose stored `id` is the page's `uid` was inserted by this very
 * statement, while a redelivered page or a replayed delta change finds the row already there (ON
 * CONFLICT: nothing, or an update that keeps the old id) and emits nothing. Only messages new in the
 * inbox folder count (mail received; sent items, updates, moves and tombstones never do).
 *
 * Two statements per JSON chunk (at most 100 messages), whatever the number of messages or endpoints:
 * the events (only when an enabled endpoint of the org subscribes to `message.received`) and their
 * deliveries. The statements themselves live in src/db/outbox (webhook-events.store.ts and
 * webhook-deliveries.store.ts).
 */
import {
  insertMessageReceivedDeliveries,
  insertMessageReceivedEvents,
  kickWebhookDeliveries,
  relayMessageEvents,
} from "@/db/outbox";
import type { Services } from "@/lib/services";
import { lockStub } from "./sync/lock-stub";

/** The two outbox statements for the rows of `json` (a chunk just inserted, or upserted, before them). */
export function messageReceivedStatements(
  db: D1Database,
  orgId: string,
  mailbox: string,
  now: string,
  json: string,
): D1PreparedStatement[] {
  return [
    insertMessageReceivedEvents(db, orgId, mailbox, now, json),
    insertMessageReceivedDeliveries(db, orgId, mailbox, now, json),
  ];
}

/** Events relayed per round trip (one batch into D1, one call to forget them in the object). */
const RELAY_PAGE = 100;

/**
 * Hands the events a mailbox's Durable Object recorded with its rows (its outbox) to the webhook tables, then
 * has the object forget them, page by page until none is left, and kicks their delivery. A crash between the
 * two leaves the events in the object; the next relay writes nothing twice (idempotent by event id).
 * Answers how many events were relayed.
 */
export async function relayMailboxEvents(
  services: Pick<Services, "d1" | "db" | "queues" | "mailboxObjects" | "now">,
  owner: { orgId: string; mailbox: string },
): Promise<number> {
  const object = lockStub(services, owner.orgId, owner.mailbox);
  let relayed = 0;
  for (;;) {
    const events = await object.pendingMessageEvents(owner, RELAY_PAGE);
    if (events.length === 0) break;
    await relayMessageEvents(services.d1, owner.orgId, events, services.now().toISOString());
    await object.ackMessageEvents(
      owner,
      events.map((event) => event.id),
    );
    relayed += events.length;
  }
  if (relayed > 0) await kickWebhookDeliveries(services, owner.orgId);
  return relayed;
}
