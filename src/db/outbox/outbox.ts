/**
 * The transactional outbox. A feature that changes state adds the statements of `eventStatements` to
 * the very `db.batch` that makes the change, so the event exists exactly when the change committed:
 *
 *     await db.batch([updateSomething, ...eventStatements(db, { orgId, type: "domain.verified", data })]);
 *
 * The statements insert the event (only when an enabled endpoint of the org subscribes to its type) and
 * one pending delivery per such endpoint. With `onlyIfChanged` (the default) the event is written only
 * when the statement right before it in the batch changed a row (SQLite `changes()`), so a conditional
 * UPDATE that matched nothing emits nothing. Delivery happens after commit: `dispatchWebhookDeliveries`
 * hands pending deliveries to the queue (the emitter calls it when it can; the consumer and the hourly
 * cron call it too, so a crash between commit and dispatch still delivers).
 */
import type { Database } from "@/db/client";
import {
  type WEBHOOK_EVENT_TYPES,
  WEBHOOK_PAYLOAD_MAX_BYTES,
  type WebhookEventData,
  type WebhookEventType,
} from "@/shared/webhook-events";
import { insertDeliveriesStatement } from "./webhook-deliveries.store";
import { receivingEndpoints } from "./webhook-endpoints.store";
import { insertEventStatement } from "./webhook-events.store";

export interface WebhookEventInput<T extends WebhookEventType> {
  orgId: string;
  type: T;
  data: WebhookEventData[T];
  /** The event (and `webhook-id`) id; default: a new `msg_...` id. */
  id?: string;
  at?: Date;
}

export interface EventOptions {
  /** Write the event only when the batch's previous statement changed a row. Default true. */
  onlyIfChanged?: boolean;
  /** Deliver to this endpoint only (the test event), whatever its subscribed types. */
  endpointId?: string;
}

export const newEventId = () => `msg_${crypto.randomUUID().replaceAll("-", "")}`;

/** The exact body that is signed and sent: `{"type", "timestamp", "data"}`, at most 20 KB. */
export function eventPayload<T extends WebhookEventType>(type: T, data: WebhookEventData[T], at: Date): string {
  const payload = JSON.stringify({ type, timestamp: at.toISOString(), data });
  const bytes = new TextEncoder().encode(payload).length;
  if (bytes > WEBHOOK_PAYLOAD_MAX_BYTES) {
    throw new RangeError(`webhook payload of ${type} is ${bytes} bytes, over ${WEBHOOK_PAYLOAD_MAX_BYTES}`);
  }
  return payload;
}

/** The outbox statements of one event, to spread into the `db.batch` of the change it reports. */
export function eventStatements<T extends (typeof WEBHOOK_EVENT_TYPES)[number]>(
  db: Database,
  event: WebhookEventInput<T>,
  options: EventOptions = {},
) {
  const at = event.at ?? new Date();
  const iso = at.toISOString();
  const id = event.id ?? newEventId();
  const payload = eventPayload(event.type, event.data, at);
  const receivers = receivingEndpoints(event.orgId, event.type, options.endpointId);
  const onlyIfChanged = options.onlyIfChanged !== false;
  return [
    insertEventStatement(
      db,
      { id, orgId: event.orgId, type: event.type, payload, createdAt: iso },
      { onlyIfChanged, receivers },
    ),
    insertDeliveriesStatement(db, id, iso, receivers),
  ] as const;
}
