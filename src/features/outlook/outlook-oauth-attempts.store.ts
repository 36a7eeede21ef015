/** Every D1 read and write of `outlook_oauth_attempts`: how the org's connect flows ended, per tenant. */
import { and, desc, eq, lt, ne, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { type OutlookOAuthFlow, type OutlookOAuthStateRow, outlookOAuthAttempts } from "@/db/schema";

/** Finished attempts are kept this long (the last one decides the admin consent answer), then removed. */
const ATTEMPT_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

const iso = (ms: number) => new Date(ms).toISOString();

/** The pending attempt a new state starts, written in the state's batch (see createOAuthState). */
export function insertPendingAttempt(
  db: Database,
  input: { orgId: string; userId: string | undefined; flow: OutlookOAuthFlow; tenantId: string },
  stateHash: string,
  createdAt: string,
  expiresAt: string,
) {
  return db.insert(outlookOAuthAttempts).values({
    id: crypto.randomUUID(),
    orgId: input.orgId,
    tenantId: input.tenantId,
    userId: input.userId ?? null,
    flow: input.flow,
    stateHash,
    outcome: "pending",
    createdAt,
    expiresAt,
  });
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

/** Removes the attempts past their `expires_at` (pending ones whose state expired, finished ones past retention). */
export function deleteExpiredAttempts(db: Database, cutoff: string) {
  return db
    .delete(outlookOAuthAttempts)
    .where(lt(outlookOAuthAttempts.expiresAt, cutoff))
    .returning({ id: outlookOAuthAttempts.id });
}
