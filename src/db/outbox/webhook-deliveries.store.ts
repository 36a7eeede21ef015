/**
 * The statements of `webhook_deliveries`: the outbox's fan-out (and the message writers'), the dispatcher's claim, the consumer's attempt
 * claim and outcome, the delivery log, redelivery and the cleanup of old history.
 */
import { and, desc, eq, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import {
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
} from "@/db/schema";
import { type EndpointHealth, endpointHealthStatement } from "./webhook-endpoints.store";
import { MESSAGE_RECEIVED, MESSAGE_RECEIVED_RECEIVERS, messageReceivedEventId } from "./webhook-events.store";

/** A queue message: which delivery, and which attempt (1-based) it is for. */
export interface WebhookDeliveryMessage {
  deliveryId: string;
  orgId: string;
  endpointId: string;
  attempt: number;
}

/** A consumer holds an attempt this much longer than the send timeout before another may take it. */
const LEASE_SLACK_MS = 30_000;

export interface ClaimedAttempt {
  delivery: WebhookDeliveryRow;
  endpoint: WebhookEndpointRow | null;
  payload: string | null;
}

/**
 * Takes the message's attempt: counts it and leases the delivery, only while the delivery is pending, has
 * had exactly `attempt - 1` sends and is not leased (so a duplicate or stale message changes nothing),
 * and reads its endpoint and payload, in one round trip.
 */
export async function claimAttempt(
  db: Database,
  message: WebhookDeliveryMessage,
  now: Date,
  timeoutMs: number,
): Promise<ClaimedAttempt | undefined> {
  const iso = now.toISOString();
  const [claimed, joined] = await db.batch([
    db
      .update(webhookDeliveries)
      .set({
        attempts: sql`${webhookDeliveries.attempts} + 1`,
        lockedUntil: new Date(+now + timeoutMs + LEASE_SLACK_MS).toISOString(),
        updatedAt: iso,
      })
      .where(
        and(
          eq(webhookDeliveries.id, message.deliveryId),
          eq(webhookDeliveries.orgId, message.orgId),
          eq(webhookDeliveries.status, "pending"),
          eq(webhookDeliveries.attempts, message.attempt - 1),
          or(sql`${webhookDeliveries.lockedUntil} IS NULL`, lt(webhookDeliveries.lockedUntil, iso)),
        ),
      )
      .returning(),
    db
      .select({ endpoint: webhookEndpoints, payload: webhookEvents.payload })
      .from(webhookDeliveries)
      .leftJoin(
        webhookEndpoints,
        and(eq(webhookEndpoints.id, webhookDeliveries.endpointId), eq(webhookEndpoints.orgId, webhookDeliveries.orgId)),
      )
      .leftJoin(
        webhookEvents,
        and(eq(webhookEvents.id, webhookDeliveries.eventId), eq(webhookEvents.orgId, webhookDeliveries.orgId)),
      )
      .where(and(eq(webhookDeliveries.id, message.deliveryId), eq(webhookDeliveries.orgId, message.orgId))),
  ]);
  const delivery = claimed[0];
  if (!delivery) return undefined;
  return { delivery, endpoint: joined[0]?.endpoint ?? null, payload: joined[0]?.payload ?? null };
}

export interface AttemptResult {
  status: WebhookDeliveryRow["status"];
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
  nextAttemptAt: string | null;
  /** The endpoint after this attempt: healthy again, failing (since when), or disabled (why). */
  endpoint: EndpointHealth | null;
}

/** Stores an attempt's outcome and the endpoint's health in one batch, releasing the lease. */
export async function saveAttempt(db: Database, delivery: WebhookDeliveryRow, result: AttemptResult, now: Date) {
  const iso = now.toISOString();
  const update = db
    .update(webhookDeliveries)
    .set({
      status: result.status,
      lastStatusCode: result.statusCode,
      lastError: result.error,
      lastResponseBody: result.responseBody,
      nextAttemptAt: result.nextAttemptAt,
      // A retry is handed to the queue right after this write (and reset if that send fails).
      enqueuedAt: result.status === "pending" ? iso : null,
      lockedUntil: null,
      deliveredAt: result.status === "delivered" ? iso : null,
      updatedAt: iso,
    })
    .where(and(eq(webhookDeliveries.id, delivery.id), eq(webhookDeliveries.orgId, delivery.orgId)));
  const health = result.endpoint;
  if (!health) return db.batch([update]);
  return db.batch([update, endpointHealthStatement(db, delivery, health, iso)]);
}

/** A retry's message could not be sent: the dispatcher picks the row up once it is due. */
export function releaseEnqueued(db: Database, delivery: WebhookDeliveryRow) {
  return db
    .update(webhookDeliveries)
    .set({ enqueuedAt: null })
    .where(and(eq(webhookDeliveries.id, delivery.id), eq(webhookDeliveries.orgId, delivery.orgId)));
}

/** One page of an endpoint's deliveries, newest first, after the `(created_at, id)` cursor. */
export function listDeliveryPage(
  db: Database,
  orgId: string,
  endpointId: string,
  limit: number,
  after?: { createdAt: string; id: string },
) {
  const before = after
    ? or(
        lt(webhookDeliveries.createdAt, after.createdAt),
        and(eq(webhookDeliveries.createdAt, after.createdAt), lt(webhookDeliveries.id, after.id)),
      )
    : undefined;
  return db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.orgId, orgId), eq(webhookDeliveries.endpointId, endpointId), before))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(limit)
    .all();
}

/** Puts a delivery back to a fresh first attempt (redelivery); undefined when the org has no such row. */
export function resetDelivery(db: Database, orgId: string, endpointId: string, eventId: string, now: string) {
  return db
    .update(webhookDeliveries)
    .set({
      status: "pending",
      attempts: 0,
      nextAttemptAt: now,
      enqueuedAt: null,
      lockedUntil: null,
      deliveredAt: null,
      updatedAt: now,
    })
    .where(
      and(
        eq(webhookDeliveries.orgId, orgId),
        eq(webhookDeliveries.endpointId, endpointId),
        eq(webhookDeliveries.eventId, eventId),
      ),
    )
    .returning()
    .get();
}

/**
 * One pending delivery per receiving endpoint of the event `eventId` just written (`receivers`: the condition
 * on `webhook_endpoints e`), for the outbox's batch. Every column in table order (drizzle lists them all).
 */
export function insertDeliveriesStatement(db: Database, eventId: string, iso: string, receivers: SQL) {
  return db.insert(webhookDeliveries).select(sql`SELECT lower(hex(randomblob(16))), e.org_id, ev.id, e.id, ev.type,
        'pending', 0, NULL, NULL, NULL, ${iso}, NULL, NULL, NULL, ${iso}, ${iso}
      FROM webhook_endpoints e JOIN webhook_events ev ON ev.id = ${eventId} AND ev.org_id = e.org_id
      WHERE ${receivers}`);
}

/**
 * One pending delivery per (`message.received` event, receiving endpoint) for the events named by the
 * elements of the JSON parameter `rows` (`eventId`: the event's id from `j.value`); ?1 org, ?3 now.
 */
const pendingMessageDeliveries = (rows: string, eventId: string) => `INSERT INTO webhook_deliveries (id, org_id,
  event_id, endpoint_id, event_type, status, attempts, last_status_code, last_error, last_response_body,
  next_attempt_at, enqueued_at, locked_until, delivered_at, created_at, updated_at)
SELECT lower(hex(randomblob(16))), e.org_id, ev.id, e.id, ev.type, 'pending', 0, NULL, NULL, NULL, ?3, NULL, NULL,
  NULL, ?3, ?3
FROM json_each(${rows}) AS j
JOIN webhook_events ev ON ev.id = ${eventId} AND ev.org_id = ?1 AND ev.type = '${MESSAGE_RECEIVED}'
JOIN webhook_endpoints e ON ${MESSAGE_RECEIVED_RECEIVERS}`;

// ?4 rows of the insert just before (`uid`): the events it wrote.
const INSERT_MESSAGE_RECEIVED_DELIVERIES = pendingMessageDeliveries(
  "?4",
  messageReceivedEventId("j.value ->> '$.uid'"),
);

/**
 * The deliveries of the `message.received` events `insertMessageReceivedEvents` just wrote for the rows of
 * `json` (raw D1, for the message writers' batch); bound like it, so ?2 (the mailbox) is unused.
 */
export function insertMessageReceivedDeliveries(
  d1: D1Database,
  orgId: string,
  mailbox: string,
  now: string,
  json: string,
): D1PreparedStatement {
  return d1.prepare(INSERT_MESSAGE_RECEIVED_DELIVERIES).bind(orgId, mailbox, now, json);
}

// ?2 events relayed from a mailbox object (`id`); a delivery already written (a repeated relay) stays as it is.
const RELAYED_DELIVERIES = `${pendingMessageDeliveries("?2", "j.value ->> '$.id'")}
WHERE true
ON CONFLICT (endpoint_id, event_id) DO NOTHING`;

/** The deliveries of relayed events, once per endpoint however often the relay runs. */
export function relayedDeliveriesStatement(d1: D1Database, orgId: string, json: string, now: string) {
  return d1.prepare(RELAYED_DELIVERIES).bind(orgId, json, now);
}

/** A delivery the dispatcher claimed for the queue. */
export interface DispatchedRow {
  id: string;
  org_id: string;
  endpoint_id: string;
  attempts: number;
}

/**
 * Claims up to `limit` due deliveries for the queue with one conditional UPDATE (`enqueued_at = iso`), so two
 * dispatchers never claim the same row: pending, due by `due`, not leased, and not yet queued (or, with
 * `overdue`, queued at or before it: a lost message), of `orgId` only when given.
 */
export async function claimDueDeliveries(
  db: Database,
  claim: { iso: string; due: string; overdue?: string; orgId?: string; limit: number },
): Promise<DispatchedRow[]> {
  const notQueued =
    claim.overdue !== undefined
      ? sql`(enqueued_at IS NULL OR enqueued_at <= ${claim.overdue})`
      : sql`enqueued_at IS NULL`;
  const org = claim.orgId ? sql`AND org_id = ${claim.orgId}` : sql``;
  const { results } = await db.run(sql`UPDATE webhook_deliveries SET enqueued_at = ${claim.iso}
    WHERE id IN (SELECT id FROM webhook_deliveries
      WHERE status = 'pending' AND next_attempt_at <= ${claim.due} AND ${notQueued} ${org}
        AND (locked_until IS NULL OR locked_until < ${claim.iso})
      ORDER BY next_attempt_at LIMIT ${claim.limit})
    RETURNING id, org_id, endpoint_id, attempts`);
  return results as unknown as DispatchedRow[];
}

/** Gives claimed rows back to the next dispatcher (their messages were not sent). */
export function releaseDispatched(db: Database, ids: string[], iso: string) {
  return db.run(
    sql`UPDATE webhook_deliveries SET enqueued_at = NULL WHERE enqueued_at = ${iso} AND id IN (${sql.join(
      ids.map((id) => sql`${id}`),
      sql`, `,
    )})`,
  );
}

/** Finished deliveries created before `cutoff` (the history kept for the log and redelivery). */
export function deleteFinishedDeliveries(db: Database, cutoff: string) {
  return db
    .delete(webhookDeliveries)
    .where(
      and(
        lt(webhookDeliveries.createdAt, cutoff),
        inArray(webhookDeliveries.status, ["delivered", "failed", "cancelled"]),
      ),
    );
}
