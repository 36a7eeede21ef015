/**
 * Every D1 read and write of `outlook_connections`: the org's connection per tenant with its sealed tokens,
 * the refresh lease (see access-token.ts) and the app permission check (see app-token.ts).
 */
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { eventStatements } from "@/db/outbox";
import { type AppPermissionState, type OutlookConnectionRow, outlookConnections } from "@/db/schema";
import { type ConnectedTokens, sealTokens } from "./secrets";

export function findConnection(db: Database, orgId: string, tenantId: string) {
  return db
    .select()
    .from(outlookConnections)
    .where(and(eq(outlookConnections.orgId, orgId), eq(outlookConnections.tenantId, tenantId)))
    .get();
}

export function listConnections(db: Database, orgId: string) {
  return db
    .select()
    .from(outlookConnections)
    .where(eq(outlookConnections.orgId, orgId))
    .orderBy(outlookConnections.createdAt, sql`rowid`);
}

const nextTokenVersion = () => sql`${outlookConnections.tokenVersion} + 1`;

/** Creates or replaces the (org, tenant) connection with freshly obtained user tokens. */
export async function saveConnectedTokens(
  db: Database,
  keys: string,
  input: {
    orgId: string;
    tenantId: string;
    epilotUserId: string | null;
    identity: { objectId: string; name?: string; email?: string };
    tokens: ConnectedTokens;
  },
): Promise<OutlookConnectionRow> {
  const now = new Date().toISOString();
  const sealed = await sealTokens(keys, input.orgId, input.tenantId, input.tokens);
  const values = {
    status: "connected" as const,
    ...sealed,
    connectedByUserId: input.identity.objectId,
    connectedByDisplayName: input.identity.name ?? null,
    connectedByEmail: input.identity.email ?? null,
    connectedByEpilotUserId: input.epilotUserId,
    connectedAt: now,
    refreshLockId: null,
    refreshLockExpiresAt: null,
    lastError: null,
    lastErrorAt: null,
    updatedAt: now,
  };
  const data = { tenant_id: input.tenantId, connected_at: now };
  const [[row]] = await db.batch([
    db
      .insert(outlookConnections)
      .values({ orgId: input.orgId, tenantId: input.tenantId, createdAt: now, tokenVersion: 1, ...values })
      .onConflictDoUpdate({
        target: [outlookConnections.orgId, outlookConnections.tenantId],
        set: { ...values, tokenVersion: nextTokenVersion() },
      })
      .returning(),
    // The webhook event commits with the connection (src/db/outbox/outbox.ts).
    ...eventStatements(db, { orgId: input.orgId, type: "outlook.connection.connected", data }),
  ]);
  if (!row) throw new Error("upserted connection was not returned");
  return row;
}

/**
 * The admin consent flow completed for a tenant the org is connected to (the id_token proved the tenant):
 * recorded on that connection, which answers it; undefined (and nothing written) when there is none. It
 * never creates a connection: a code proves a sign-in, not an administrator's approval.
 */
export async function markAdminConsented(db: Database, orgId: string, tenantId: string) {
  const now = new Date().toISOString();
  const [row] = await db
    .update(outlookConnections)
    .set({ adminConsentedAt: now, updatedAt: now })
    .where(and(eq(outlookConnections.orgId, orgId), eq(outlookConnections.tenantId, tenantId)))
    .returning();
  return row;
}

export async function deleteConnection(db: Database, orgId: string, tenantId: string): Promise<boolean> {
  const deleted = await db
    .delete(outlookConnections)
    .where(and(eq(outlookConnections.orgId, orgId), eq(outlookConnections.tenantId, tenantId)))
    .returning({ tenantId: outlookConnections.tenantId });
  return deleted.length > 0;
}

/** What the last app permission check of the tenant's connection found (see app-token.ts). */
export async function recordAppPermission(
  db: Database,
  orgId: string,
  tenantId: string,
  state: AppPermissionState,
  detail: string | null,
) {
  const now = new Date().toISOString();
  await db
    .update(outlookConnections)
    .set({ appPermission: state, appPermissionCheckedAt: now, appPermissionDetail: detail?.slice(0, 500) ?? null })
    .where(and(eq(outlookConnections.orgId, orgId), eq(outlookConnections.tenantId, tenantId)));
}

// The refresh lease (see getAccessToken in access-token.ts).

/**
 * Takes the connection's refresh lease `leaseId` until `until`: only while it is still connected, nobody
 * stored newer tokens since `row` was read, and nobody holds a live lease. Answers the updated row, if taken.
 */
export async function takeRefreshLease(
  db: Database,
  row: OutlookConnectionRow,
  leaseId: string,
  now: Date,
  until: Date,
): Promise<OutlookConnectionRow | undefined> {
  const [taken] = await db
    .update(outlookConnections)
    .set({ refreshLockId: leaseId, refreshLockExpiresAt: until.toISOString() })
    .where(
      and(
        eq(outlookConnections.orgId, row.orgId),
        eq(outlookConnections.tenantId, row.tenantId),
        eq(outlookConnections.status, "connected"),
        // Nobody stored newer tokens since we read the row...
        eq(outlookConnections.tokenVersion, row.tokenVersion),
        // ...and nobody holds a live lease.
        or(isNull(outlookConnections.refreshLockId), lt(outlookConnections.refreshLockExpiresAt, now.toISOString())),
      ),
    )
    .returning();
  return taken;
}

/** Versioned write: lands only if no other request stored newer tokens. */
function versioned(row: OutlookConnectionRow) {
  return and(
    eq(outlookConnections.orgId, row.orgId),
    eq(outlookConnections.tenantId, row.tenantId),
    eq(outlookConnections.tokenVersion, row.tokenVersion),
  );
}

/** The lease columns with our lease released (another request's lease is left alone). */
function releasedLease(leaseId: string) {
  return {
    refreshLockId: sql`CASE WHEN ${outlookConnections.refreshLockId} = ${leaseId} THEN NULL ELSE ${outlookConnections.refreshLockId} END`,
    refreshLockExpiresAt: sql`CASE WHEN ${outlookConnections.refreshLockId} = ${leaseId} THEN NULL ELSE ${outlookConnections.refreshLockExpiresAt} END`,
  };
}

/** Releases our lease on the connection, whatever its token version. */
export function releaseRefreshLease(db: Database, orgId: string, tenantId: string, leaseId: string) {
  return db
    .update(outlookConnections)
    .set(releasedLease(leaseId))
    .where(and(eq(outlookConnections.orgId, orgId), eq(outlookConnections.tenantId, tenantId)));
}

/**
 * Stores a refresh's sealed tokens, versioned and releasing our lease; answers whether the write landed
 * (it does not when the connection was removed or another request stored newer tokens meanwhile).
 */
export async function saveRefreshedTokens(
  db: Database,
  row: OutlookConnectionRow,
  leaseId: string,
  sealed: Awaited<ReturnType<typeof sealTokens>>,
): Promise<boolean> {
  const [stored] = await db
    .update(outlookConnections)
    .set({
      ...sealed,
      ...releasedLease(leaseId),
      tokenVersion: nextTokenVersion(),
      lastError: null,
      lastErrorAt: null,
      updatedAt: new Date().toISOString(),
    })
    .where(versioned(row))
    .returning({ tenantId: outlookConnections.tenantId });
  return stored !== undefined;
}

/** The versioned update that marks the connection expired (for `reason`) and releases our lease, for a batch. */
export function markExpiredStatement(db: Database, row: OutlookConnectionRow, leaseId: string, reason: string) {
  const now = new Date().toISOString();
  return db
    .update(outlookConnections)
    .set({
      status: "expired",
      lastError: reason.slice(0, 200),
      lastErrorAt: now,
      updatedAt: now,
      ...releasedLease(leaseId),
    })
    .where(versioned(row));
}
