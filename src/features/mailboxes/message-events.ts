/**
 * `message.received` events of the import and live writers, as outbox statements (see
 * services/webhooks/outbox.ts) to put right after a `json_each` insert of `imported_messages` in the
 * same `db.batch`. One event per row that insert actually added: every row of a page carries a fresh
 * `uid` (convertMessage), so a message whose stored `id` is the page's `uid` was inserted by this very
 * statement, while a redelivered page or a replayed delta change finds the row already there (ON
 * CONFLICT: nothing, or an update that keeps the old id) and emits nothing. Only messages new in the
 * inbox folder count (mail received; sent items, updates, moves and tombstones never do).
 *
 * Two statements per JSON chunk (at most 100 messages), whatever the number of messages or endpoints:
 * the events (only when an enabled endpoint of the org subscribes to `message.received`) and their
 * deliveries. The payload is built by SQLite's json_object in the shape of `eventPayload`
 * (`{"type","timestamp","data"}`); subject, names and addresses are cut so it stays far below 20 KB.
 */

const TYPE = "message.received";

// The same receivers as outbox.ts's receivingEndpoints: enabled, and subscribed to all types or this one.
const RECEIVERS = `e.org_id = ?1 AND e.enabled = 1
  AND (e.event_types IS NULL OR EXISTS (SELECT 1 FROM json_each(e.event_types) WHERE json_each.value = '${TYPE}'))`;

/** The event id of the message row `uid` (a `msg_` + 32 hex id like newEventId). */
const EVENT_ID = (uid: string) => `'msg_' || lower(replace(${uid}, '-', ''))`;

// ?1 org, ?2 mailbox, ?3 now, ?4 rows (the insert's JSON chunk: `uid`, `graph_id`)
const INSERT_EVENTS = `INSERT INTO webhook_events (id, org_id, type, payload, created_at)
SELECT ${EVENT_ID("m.id")}, ?1, '${TYPE}',
  json_object('type', '${TYPE}', 'timestamp', ?3, 'data', json_object(
    'message_id', m.id, 'mailbox', m.mailbox, 'shared_inbox_id', m.shared_inbox_id,
    'subject', substr(m.subject, 1, 1000),
    'from', json_object('address', substr(m.from_address, 1, 320), 'name', substr(m.from_name, 1, 300)),
    'received_at', m.received_at)),
  ?3
FROM json_each(?4) AS j
JOIN imported_messages m ON m.org_id = ?1 AND m.mailbox = ?2 AND m.graph_id = j.value ->> '$.graph_id'
  AND m.id = j.value ->> '$.uid'
WHERE m.folder = 'inbox' AND m.deleted_at IS NULL
  AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE ${RECEIVERS})`;

// ?1 org, ?3 now, ?4 rows: one pending delivery per (event just written, receiving endpoint).
const INSERT_DELIVERIES = `INSERT INTO webhook_deliveries (id, org_id, event_id, endpoint_id, event_type, status,
  attempts, last_status_code, last_error, last_response_body, next_attempt_at, enqueued_at, locked_until,
  delivered_at, created_at, updated_at)
SELECT lower(hex(randomblob(16))), e.org_id, ev.id, e.id, ev.type, 'pending', 0, NULL, NULL, NULL, ?3, NULL, NULL,
  NULL, ?3, ?3
FROM json_each(?4) AS j
JOIN webhook_events ev ON ev.id = ${EVENT_ID("j.value ->> '$.uid'")} AND ev.org_id = ?1 AND ev.type = '${TYPE}'
JOIN webhook_endpoints e ON ${RECEIVERS}`;

/** The two outbox statements for the rows of `json` (a chunk just inserted, or upserted, before them). */
export function messageReceivedStatements(
  db: D1Database,
  orgId: string,
  mailbox: string,
  now: string,
  json: string,
): D1PreparedStatement[] {
  return [
    db.prepare(INSERT_EVENTS).bind(orgId, mailbox, now, json),
    db.prepare(INSERT_DELIVERIES).bind(orgId, mailbox, now, json),
  ];
}
