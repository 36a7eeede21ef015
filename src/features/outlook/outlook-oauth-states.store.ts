/** Every D1 read and write of `outlook_oauth_states`: the one-time states of the connect flows. */
import { generateCodeVerifier, generateState } from "arctic";
import { and, eq, gt, isNull, lt } from "drizzle-orm";
import type { Database } from "@/db/client";
import { type OutlookOAuthFlow, type OutlookOAuthStateRow, outlookOAuthStates } from "@/db/schema";
import { open, seal } from "@/shared/crypto/sealing";
import { insertPendingAttempt } from "./outlook-oauth-attempts.store";
import { hashState, sealContext } from "./secrets";

/** A state is single use and worthless after 10 minutes. */
export const STATE_TTL_MS = 10 * 60 * 1000;

const iso = (ms: number) => new Date(ms).toISOString();

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
    insertPendingAttempt(db, input, stateHash, iso(now), expiresAt),
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

/** Removes the states past their 10-minute life, used or not. */
export function deleteExpiredStates(db: Database, cutoff: string) {
  return db
    .delete(outlookOAuthStates)
    .where(lt(outlookOAuthStates.expiresAt, cutoff))
    .returning({ id: outlookOAuthStates.stateHash });
}
