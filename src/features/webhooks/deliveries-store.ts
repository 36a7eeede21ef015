/** D1 reads and writes of deliveries (the consumer's attempt claim and outcome, the delivery log). */
import { and, desc, eq, isNotNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import {
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
} from "@/db/schema";
import type { WebhookDeliveryMessage } from "./dispatch";

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
  endpoint: { healthy: true } | { failingSince: string } | { disabledReason: string } | null;
}

/** Stores an attempt's outcome and the endpoint's health in one batch, releasing the lease. */
export async function saveAttempt(db: Database, delivery: WebhookDeliveryRow, result: AttemptResult, now: Date) {
  const iso = now.toISOString();
  const own = and(eq(webhookEndpoints.id, delivery.endpointId), eq(webhookEndpoints.orgId, delivery.orgId));
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
  if ("healthy" in health) {
    return db.batch([
      update,
      db
        .update(webhookEndpoints)
        .set({ failingSince: null })
        .where(and(own, isNotNull(webhookEndpoints.failingSince))),
    ]);
  }
  const endpointValues =
    "disabledReason" in health
      ? { enabled: false, disabledReason: health.disabledReason, updatedAt: iso }
      : { failingSince: sql`COALESCE(${webhookEndpoints.failingSince}, ${health.failingSince})` };
  return db.batch([update, db.update(webhookEndpoints).set(endpointValues).where(own)]);
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
