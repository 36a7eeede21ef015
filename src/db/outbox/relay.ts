import { relayedDeliveriesStatement } from "./webhook-deliveries.store";
import { relayMessageEventsStatement } from "./webhook-events.store";

/** An event as a mailbox object's outbox holds it. */
export interface RelayedEvent {
  id: string;
  type: string;
  payload: string;
  created_at: string;
}

/**
 * Writes events from a mailbox object's outbox into the webhook tables, with their deliveries, in one
 * transaction. Idempotent by event id (and by endpoint and event for deliveries), so a relay that crashed
 * after writing and before the object forgot its events writes nothing twice when it runs again.
 */
export async function relayMessageEvents(
  d1: D1Database,
  orgId: string,
  events: RelayedEvent[],
  now: string,
): Promise<void> {
  if (events.length === 0) return;
  const json = JSON.stringify(events);
  await d1.batch([relayMessageEventsStatement(d1, orgId, json), relayedDeliveriesStatement(d1, orgId, json, now)]);
}
