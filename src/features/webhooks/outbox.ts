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
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { webhookDeliveries, webhookEvents } from "@/db/schema";
import {
  type WEBHOOK_EVENT_TYPES,
  WEBHOOK_PAYLOAD_MAX_BYTES,
  type WebhookEventData,
  type WebhookEventType,
} from "@/shared/webhook-events";

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

/** Enabled endpoints of the org that receive `type` (or the one named endpoint). */
function receivingEndpoints(orgId: string, type: string, endpointId: string | undefined): SQL {
  const receives = endpointId
    ? sql`e.id = ${endpointId}`
    : sql`(e.event_types IS NULL OR EXISTS (SELECT 1 FROM json_each(e.event_types) WHERE json_each.value = ${type}))`;
  return sql`e.org_id = ${orgId} AND e.enabled = 1 AND ${receives}`;
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
  const changed = options.onlyIfChanged === false ? sql`1` : sql`changes() > 0`;
  // INSERT ... SELECT with every column in table order (drizzle lists them all in `INSERT INTO t (...)`).
  return [
    db.insert(webhookEvents).select(sql`SELECT ${id}, ${event.orgId}, ${event.type}, ${payload}, ${iso}
      WHERE ${changed} AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE ${receivers})`),
    db.insert(webhookDeliveries).select(sql`SELECT lower(hex(randomblob(16))), e.org_id, ev.id, e.id, ev.type,
        'pending', 0, NULL, NULL, NULL, ${iso}, NULL, NULL, NULL, ${iso}, ${iso}
      FROM webhook_endpoints e JOIN webhook_events ev ON ev.id = ${id} AND ev.org_id = e.org_id
      WHERE ${receivers}`),
  ] as const;
}
