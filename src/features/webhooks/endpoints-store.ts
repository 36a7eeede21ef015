/** D1 reads and writes of webhook endpoints, org-scoped throughout. */
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { type WebhookEndpointRow, webhookDeliveries, webhookEndpoints } from "@/db/schema";
import { open, seal } from "@/shared/crypto/sealing";

/** Both secrets of an endpoint are sealed bound to it, so a sealed value copied to another row does not open. */
const secretContext = (orgId: string, endpointId: string) => JSON.stringify(["webhook_endpoint", orgId, endpointId]);

export const sealSecret = (keys: string | undefined, orgId: string, endpointId: string, secret: string) =>
  seal(keys, secret, secretContext(orgId, endpointId));

/** The secrets that sign a delivery now: the current one, and the previous one while its 24 h last. */
export async function signingSecrets(keys: string | undefined, row: WebhookEndpointRow, now: Date): Promise<string[]> {
  const context = secretContext(row.orgId, row.id);
  const secrets = [await open(keys, row.secretSealed, context)];
  if (row.previousSecretSealed && row.previousSecretExpiresAt && Date.parse(row.previousSecretExpiresAt) > +now) {
    secrets.push(await open(keys, row.previousSecretSealed, context));
  }
  return secrets;
}

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
