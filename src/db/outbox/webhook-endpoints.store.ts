/** The statements of `webhook_endpoints`, org-scoped throughout. */
import { and, eq, isNotNull, type SQL, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { type WebhookEndpointRow, webhookDeliveries, webhookEndpoints } from "@/db/schema";

const own = (orgId: string, id: string) => and(eq(webhookEndpoints.orgId, orgId), eq(webhookEndpoints.id, id));

export function findEndpoint(db: Database, orgId: string, id: string) {
  return db.select().from(webhookEndpoints).where(own(orgId, id)).get();
}

export function listEndpoints(db: Database, orgId: string) {
  return db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.orgId, orgId))
    .orderBy(webhookEndpoints.createdAt, sql`rowid`)
    .all();
}

/** Inserts the endpoint only while the org holds fewer than `max` (decided inside the INSERT). */
export async function insertEndpoint(db: Database, row: WebhookEndpointRow, max: number): Promise<boolean> {
  const r = row;
  const result = await db.run(sql`INSERT INTO webhook_endpoints
      (id, org_id, url, description, event_types, enabled, disabled_reason, secret_sealed, previous_secret_sealed,
       previous_secret_expires_at, failing_since, created_at, updated_at, created_by, updated_by)
    SELECT ${r.id}, ${r.orgId}, ${r.url}, ${r.description}, ${r.eventTypes ? JSON.stringify(r.eventTypes) : null}, 1,
      NULL, ${r.secretSealed}, NULL, NULL, NULL, ${r.createdAt}, ${r.updatedAt}, ${r.createdBy}, ${r.updatedBy}
    WHERE (SELECT count(*) FROM webhook_endpoints WHERE org_id = ${r.orgId}) < ${max}`);
  return (result.meta.changes ?? 0) > 0;
}

export function updateEndpoint(db: Database, orgId: string, id: string, values: Partial<WebhookEndpointRow>) {
  return db.update(webhookEndpoints).set(values).where(own(orgId, id)).returning().get();
}

/** Deletes the endpoint and its delivery log in one batch; false when there was none. */
export async function deleteEndpointRows(db: Database, orgId: string, id: string): Promise<boolean> {
  const [, deleted] = await db.batch([
    db.delete(webhookDeliveries).where(and(eq(webhookDeliveries.orgId, orgId), eq(webhookDeliveries.endpointId, id))),
    db.delete(webhookEndpoints).where(own(orgId, id)).returning({ id: webhookEndpoints.id }),
  ]);
  return deleted.length > 0;
}

/** Rotation: the current secret becomes the previous one (signing until `until`), `sealed` the current. */
export function rotateSecret(db: Database, orgId: string, id: string, sealed: string, until: string, now: string) {
  return db
    .update(webhookEndpoints)
    .set({
      previousSecretSealed: sql`${webhookEndpoints.secretSealed}`,
      previousSecretExpiresAt: until,
      secretSealed: sealed,
      updatedAt: now,
    })
    .where(own(orgId, id))
    .returning()
    .get();
}

/** The endpoint after a delivery attempt: healthy again, failing (since when), or disabled (why). */
export type EndpointHealth = { healthy: true } | { failingSince: string } | { disabledReason: string };

/**
 * The endpoint's health after an attempt, to batch with the delivery's outcome: a healthy endpoint is
 * written only when it was failing; a failing one keeps the earliest `failing_since`.
 */
export function endpointHealthStatement(
  db: Database,
  endpoint: { orgId: string; endpointId: string },
  health: EndpointHealth,
  iso: string,
) {
  const mine = own(endpoint.orgId, endpoint.endpointId);
  if ("healthy" in health) {
    return db
      .update(webhookEndpoints)
      .set({ failingSince: null })
      .where(and(mine, isNotNull(webhookEndpoints.failingSince)));
  }
  const values =
    "disabledReason" in health
      ? { enabled: false, disabledReason: health.disabledReason, updatedAt: iso }
      : { failingSince: sql`COALESCE(${webhookEndpoints.failingSince}, ${health.failingSince})` };
  return db.update(webhookEndpoints).set(values).where(mine);
}

/**
 * The enabled endpoints of the org that receive `type` (or the one named endpoint), as the condition on
 * `webhook_endpoints e` of the outbox's INSERT ... SELECT statements.
 */
export function receivingEndpoints(orgId: string, type: string, endpointId: string | undefined): SQL {
  const receives = endpointId
    ? sql`e.id = ${endpointId}`
    : sql`(e.event_types IS NULL OR EXISTS (SELECT 1 FROM json_each(e.event_types) WHERE json_each.value = ${type}))`;
  return sql`e.org_id = ${orgId} AND e.enabled = 1 AND ${receives}`;
}
