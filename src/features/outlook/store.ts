import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { generateCodeVerifier, generateState } from "arctic";
import { and, desc, eq, gt, isNull, ne, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import {
  type AppPermissionState,
  type OutlookConnectionRow,
  type OutlookOAuthFlow,
  type OutlookOAuthStateRow,
  outlookConnections,
  outlookOAuthAttempts,
  outlookOAuthStates,
} from "@/db/schema";
import { eventStatements } from "@/features/webhooks";
import { open, seal } from "@/shared/crypto/sealing";

/** A state is single use and worthless after 10 minutes. */
export const STATE_TTL_MS = 10 * 60 * 1000;
/** Finished attempts are kept this long (the last one decides the admin consent answer), then removed. */
const ATTEMPT_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

const iso = (ms: number) => new Date(ms).toISOString();

/** Only the SHA-256 of a state is stored: a database reader cannot complete someone's flow. */
export function hashState(state: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(state)));
}

/** Sealing contexts bind a sealed value to its row and purpose. */
export const sealContext = {
  verifier: (stateHash: string) => JSON.stringify(["outlook_oauth_state", stateHash, "code_verifier"]),
  token: (orgId: string, tenantId: string, kind: "access_token" | "refresh_token") =>
    JSON.stringify(["outlook_connection", orgId, tenantId, kind]),
};

export interface NewOAuthState {
  state: string;
  stateHash: string;
  codeVerifier: string;
}

export interface OAuthStateInput {
  orgId: string;
  userId: string | undefined;
  flow: OutlookOAuthFlow;
  /** The tenant segment the flow's URL is issued for (MS_TENANT, or a tenant id). */
  tenantId: string;
  /** SHA-256 (hex) of the flow cookie of the browser that starts the flow. */
  browserHash: string;
}

/**
 * Starts a flow: a fresh 256-bit state bound to the org, the user and the starting browser, stored
 * (hashed) with the sealed PKCE verifier, and a pending attempt for the tenant.
 */
export async function createOAuthState(db: Database, keys: string, input: OAuthStateInput): Promise<NewOAuthState> {
  const state = generateState();
  const stateHash = hashState(state);
  // Both flows redeem a code (the admin consent is asked through the authorize endpoint), so both use PKCE.
  const codeVerifier = generateCodeVerifier();
  const now = Date.now();
  const expiresAt = iso(now + STATE_TTL_MS);
  await db.batch([
    db.insert(outlookOAuthStates).values({
      stateHash,
      orgId: input.orgId,
      userId: input.userId ?? null,
      flow: input.flow,
      tenantId: input.tenantId,
      codeVerifierSealed: await seal(keys, codeVerifier, sealContext.verifier(stateHash)),
      browserBindingHash: input.browserHash,
      createdAt: iso(now),
      expiresAt,
    }),
    db.insert(outlookOAuthAttempts).values({
      id: crypto.randomUUID(),
      orgId: input.orgId,
      tenantId: input.tenantId,
      userId: input.userId ?? null,
      flow: input.flow,
      stateHash,
      outcome: "pending",
      createdAt: iso(now),
      expiresAt,
    }),
  ]);
  return { state, stateHash, codeVerifier };
}

const live = (now: string) => and(isNull(outlookOAuthStates.usedAt), gt(outlookOAuthStates.expiresAt, now));

/** Reads an unused, unexpired state without spending it (the callback checks the browser first). */
export async function findLiveOAuthState(db: Database, state: string): Promise<OutlookOAuthStateRow | undefined> {
  const [row] = await db
    .select()
    .from(outlookOAuthStates)
    .where(and(eq(outlookOAuthStates.stateHash, hashState(state)), live(new Date().toISOString())))
    .limit(1);
  return row;
}

/**
 * Consumes a state atomically: only an unused, unexpired state still bound to the same browser comes
 * back, and only once, whatever requests race. Unknown, expired and used states change nothing.
 */
export async function consumeOAuthState(
  db: Database,
  row: Pick<OutlookOAuthStateRow, "stateHash" | "browserBindingHash">,
): Promise<OutlookOAuthStateRow | undefined> {
  if (!row.browserBindingHash) return undefined;
  const now = new Date().toISOString();
  const [consumed] = await db
    .update(outlookOAuthStates)
    .set({ usedAt: now })
    .where(
      and(
        eq(outlookOAuthStates.stateHash, row.stateHash),
        eq(outlookOAuthStates.browserBindingHash, row.browserBindingHash),
        live(now),
      ),
    )
    .returning();
  return consumed;
}

/**
 * Whether the browser has a flow in progress: an unused, unexpired state bound to its cookie, and
 * (when given) started by this org and user.
 */
export async function browserHasLiveState(
  db: Database,
  browserHash: string,
  startedBy?: { orgId: string; userId: string | undefined },
): Promise<boolean> {
  const by = startedBy
    ? [
        eq(outlookOAuthStates.orgId, startedBy.orgId),
        startedBy.userId === undefined
          ? isNull(outlookOAuthStates.userId)
          : eq(outlookOAuthStates.userId, startedBy.userId),
      ]
    : [];
  const [row] = await db
    .select({ stateHash: outlookOAuthStates.stateHash })
    .from(outlookOAuthStates)
    .where(and(eq(outlookOAuthStates.browserBindingHash, browserHash), live(new Date().toISOString()), ...by))
    .limit(1);
  return row !== undefined;
}

export function openCodeVerifier(keys: string, row: OutlookOAuthStateRow): Promise<string> | undefined {
  return row.codeVerifierSealed ? open(keys, row.codeVerifierSealed, sealContext.verifier(row.stateHash)) : undefined;
}

export interface AttemptOutcome {
  outcome: "succeeded" | "failed";
  error?: string;
  errorDescription?: string;
  errorSubcode?: string;
  errorUri?: string;
  consentRequired?: boolean;
}

const clip = (text: string | undefined, max = 1000) => (text === undefined ? null : text.slice(0, max));

function outcomeColumns(result: AttemptOutcome, now: number) {
  return {
    outcome: result.outcome,
    error: clip(result.error, 200),
    errorDescription: clip(result.errorDescription),
    errorSubcode: clip(result.errorSubcode, 200),
    errorUri: clip(result.errorUri, 500),
    consentRequired: result.consentRequired ?? false,
    finishedAt: iso(now),
    expiresAt: iso(now + ATTEMPT_RETENTION_MS),
  };
}

/** Records the outcome of the attempt a state started. */
export async function finishAttempt(db: Database, state: OutlookOAuthStateRow, result: AttemptOutcome) {
  await db
    .update(outlookOAuthAttempts)
    .set(outcomeColumns(result, Date.now()))
    .where(and(eq(outlookOAuthAttempts.stateHash, state.stateHash), eq(outlookOAuthAttempts.orgId, state.orgId)));
}

/** Records a finished attempt for another tenant than the state's (the tenant that signed in). */
export async function recordAttempt(
  db: Database,
  state: OutlookOAuthStateRow,
  tenantId: string,
  result: AttemptOutcome,
) {
  const now = Date.now();
  await db.insert(outlookOAuthAttempts).values({
    id: crypto.randomUUID(),
    orgId: state.orgId,
    tenantId,
    userId: state.userId,
    flow: state.flow,
    stateHash: null,
    createdAt: iso(now),
    ...outcomeColumns(result, now),
  });
}

/** The org's last finished attempt for a tenant, if any. */
export async function lastFinishedAttempt(db: Database, orgId: string, tenantId: string) {
  const [row] = await db
    .select()
    .from(outlookOAuthAttempts)
    .where(
      and(
        eq(outlookOAuthAttempts.orgId, orgId),
        eq(outlookOAuthAttempts.tenantId, tenantId),
        ne(outlookOAuthAttempts.outcome, "pending"),
      ),
    )
    .orderBy(desc(outlookOAuthAttempts.finishedAt), desc(sql`rowid`))
    .limit(1);
  return row;
}

export function findConnection(db: Database, orgId: string, tenantId: string) {
  return db.query.outlookConnections.findFirst({
    where: and(eq(outlookConnections.orgId, orgId), eq(outlookConnections.tenantId, tenantId)),
  });
}

export function listConnections(db: Database, orgId: string) {
  return db
    .select()
    .from(outlookConnections)
    .where(eq(outlookConnections.orgId, orgId))
    .orderBy(outlookConnections.createdAt, sql`rowid`);
}

export interface ConnectedTokens {
  accessToken: string;
  refreshToken: string | undefined;
  expiresAt: Date;
  scopes: string[];
}

/** Sealed token columns for a connection row. */
export async function sealTokens(keys: string, orgId: string, tenantId: string, tokens: ConnectedTokens) {
  return {
    accessTokenSealed: await seal(keys, tokens.accessToken, sealContext.token(orgId, tenantId, "access_token")),
    refreshTokenSealed: tokens.refreshToken
      ? await seal(keys, tokens.refreshToken, sealContext.token(orgId, tenantId, "refresh_token"))
      : null,
    accessTokenExpiresAt: tokens.expiresAt.toISOString(),
    scopes: tokens.scopes,
  };
}

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
        set: { ...values, tokenVersion: sql`${outlookConnections.tokenVersion} + 1` },
      })
      .returning(),
    // The webhook event commits with the connection (src/services/webhooks/outbox.ts).
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
