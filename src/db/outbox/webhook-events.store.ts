/**
 * The statements of `webhook_events`: the outbox's insert, the message writers' `message.received` insert and
 * the cleanup of old events.
 */
import { and, lt, type SQL, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { webhookDeliveries, webhookEvents } from "@/db/schema";

/**
 * Inserts the event, only when an endpoint receives it (`receivers`: the condition on `webhook_endpoints e`)
 * and, with `onlyIfChanged`, only when the batch's previous statement changed a row (SQLite `changes()`).
 * INSERT ... SELECT with every column in table order (drizzle lists them all in `INSERT INTO t (...)`).
 */
export function insertEventStatement(
  db: Database,
  event: { id: string; orgId: string; type: string; payload: string; createdAt: string },
  options: { onlyIfChanged: boolean; receivers: SQL },
) {
  const changed = options.onlyIfChanged ? sql`changes() > 0` : sql`1`;
  return db
    .insert(webhookEvents)
    .select(sql`SELECT ${event.id}, ${event.orgId}, ${event.type}, ${event.payload}, ${event.createdAt}
      WHERE ${changed} AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE ${options.receivers})`);
}

/** Events created before `cutoff` that no delivery refers to any more. */
export function deleteUndeliveredEvents(db: Database, cutoff: string) {
  return db
    .delete(webhookEvents)
    .where(
      and(
        lt(webhookEvents.createdAt, cutoff),
        sql`NOT EXISTS (SELECT 1 FROM ${webhookDeliveries} WHERE ${webhookDeliveries.eventId} = ${webhookEvents.id})`,
      ),
    );
}

// The message writers' outbox (mailboxes' import and live writers): raw D1 statements, because they run in the
// same `d1.batch` as the `json_each` insert of `imported_messages` they follow.

export const MESSAGE_RECEIVED = "message.received";

/**
 * `receivingEndpoints` of `message.received` as SQL text, with the org as ?1: enabled, and subscribed to all
 * types or this one.
 */
export const MESSAGE_RECEIVED_RECEIVERS = `e.org_id = ?1 AND e.enabled = 1
  AND (e.event_types IS NULL OR EXISTS (SELECT 1 FROM json_each(e.event_types) WHERE json_each.value = '${MESSAGE_RECEIVED}'))`;

/** The event id of the message row `uid` (a `msg_` + 32 hex id like newEventId). */
export const messageReceivedEventId = (uid: string) => `'msg_' || lower(replace(${uid}, '-', ''))`;

// ?1 org, ?2 mailbox, ?3 now, ?4 rows (the insert's JSON chunk: `uid`, `graph_id`)
const INSERT_MESSAGE_RECEIVED = `INSERT INTO webhook_events (id, org_id, type, payload, created_at)
SELECT ${messageReceivedEventId("m.id")}, ?1, '${MESSAGE_RECEIVED}',
  json_object('type', '${MESSAGE_RECEIVED}', 'timestamp', ?3, 'data', json_object(
    'message_id', m.id, 'mailbox', m.mailbox, 'shared_inbox_id', m.shared_inbox_id,
    'subject', substr(m.subject, 1, 1000),
    'from', json_object('address', substr(m.from_address, 1, 320), 'name', substr(m.from_name, 1, 300)),
    'received_at', m.received_at)),
  ?3
FROM json_each(?4) AS j
JOIN imported_messages m ON m.org_id = ?1 AND m.mailbox = ?2 AND m.graph_id = j.value ->> '$.graph_id'
  AND m.id = j.value ->> '$.uid'
WHERE m.folder = 'inbox' AND m.deleted_at IS NULL
  AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE ${MESSAGE_RECEIVED_RECEIVERS})`;

/**
 * One `message.received` event per row of `json` (a chunk of `imported_messages` just inserted before it in
 * the batch) that the insert actually added and that is new in the inbox, only when an endpoint of the org
 * receives it. The payload is built by SQLite's json_object in the shape of `eventPayload`
 * (`{"type","timestamp","data"}`); subject, names and addresses are cut so it stays far below 20 KB.
 */
export function insertMessageReceivedEvents(
  d1: D1Database,
  orgId: string,
  mailbox: string,
  now: string,
  json: string,
): D1PreparedStatement {
  return d1.prepare(INSERT_MESSAGE_RECEIVED).bind(orgId, mailbox, now, json);
}

// ?1 org, ?2 events (JSON: `id`, `type`, `payload`, `created_at`, from a mailbox object's outbox)
const RELAY_MESSAGE_EVENTS = `INSERT INTO webhook_events (id, org_id, type, payload, created_at)
SELECT j.value ->> '$.id', ?1, j.value ->> '$.type', j.value ->> '$.payload', j.value ->> '$.created_at'
FROM json_each(?2) AS j
WHERE j.value ->> '$.type' = '${MESSAGE_RECEIVED}'
  AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE ${MESSAGE_RECEIVED_RECEIVERS})
ON CONFLICT (id) DO NOTHING`;

/**
 * Events a mailbox object recorded (its outbox), written when an endpoint of the org receives them; an event
 * already written (a relay repeated after a crash) is left as it is.
 */
export function relayMessageEventsStatement(d1: D1Database, orgId: string, json: string): D1PreparedStatement {
  return d1.prepare(RELAY_MESSAGE_EVENTS).bind(orgId, json);
}
