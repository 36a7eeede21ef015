import type { Database } from "@/db/client";
import { eventStatements, kickWebhookDeliveries } from "@/db/outbox";
import type { OutlookConnectionRow } from "@/db/schema";
import { ApiError } from "@/lib/errors";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import { open } from "@/shared/crypto/sealing";
import { type OutlookConfig, outlookConfig } from "./config";
import { MicrosoftOAuthError, needsReconnect, refreshTokens } from "./identity-platform";
import {
  findConnection,
  markExpiredStatement,
  releaseRefreshLease,
  saveRefreshedTokens,
  takeRefreshLease,
} from "./outlook-connections.store";
import { sealContext, sealTokens } from "./secrets";

/** A token expiring within this window is refreshed before it is handed out. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** How long one refresh may hold a connection's lease before another request may take over. */
const REFRESH_LEASE_MS = 60 * 1000;
/** How long a caller waits for another request's refresh before giving up with a 503. */
const MAX_WAIT_MS = 30 * 1000;

/** Every connection status but `connected`. */
export type OutlookTokenUnavailableReason = Exclude<OutlookConnectionRow["status"], "connected">;

/**
 * No usable token for the tenant: not connected, waiting for a user sign-in after admin consent, or
 * expired (refresh token revoked or a new sign-in required; the status then says `reconnect`).
 */
export class OutlookTokenUnavailableError extends ApiError {
  constructor(
    readonly reason: OutlookTokenUnavailableReason,
    readonly tenantId: string,
  ) {
    const what = {
      not_connected: "is not connected",
      pending_auth: "has admin consent but no user has signed in yet (action: authorize)",
      expired: "has expired and must be reconnected (action: reconnect)",
    }[reason];
    super(409, `The Microsoft 365 connection for tenant ${tenantId} ${what}`);
    this.name = "OutlookTokenUnavailableError";
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A valid Microsoft Graph access token for the org's connection to `tenantId`.
 *
 * When the stored token expires within 5 minutes it is refreshed first. Only one refresh runs per
 * connection at a time, across requests and isolates: a caller takes the connection's lease with a
 * conditional UPDATE (free or lapsed lease, and the token version it read), others wait and re-read
 * until the winner has stored the new tokens, so a refresh token is spent once. The rotated refresh
 * token is stored before the new access token is returned. `invalid_grant` / `interaction_required`
 * mark the connection `expired`.
 *
 * Throws OutlookTokenUnavailableError (409) when there is no usable connection, ApiError 503 when
 * Microsoft or the configuration is unavailable.
 */
export async function getAccessToken(services: Services, orgId: string, tenantId: string): Promise<string> {
  const config = outlookConfig(services);
  const { db } = services;
  const tenant = tenantId.toLowerCase();
  const deadline = Date.now() + MAX_WAIT_MS;
  for (let round = 0; ; round++) {
    const row = await findConnection(db, orgId, tenant);
    if (!row) throw new OutlookTokenUnavailableError("not_connected", tenant);
    if (row.status !== "connected") throw new OutlookTokenUnavailableError(row.status, tenant);
    const expiresAt = row.accessTokenExpiresAt ? Date.parse(row.accessTokenExpiresAt) : 0;
    if (row.accessTokenSealed && expiresAt - Date.now() > REFRESH_MARGIN_MS) {
      return open(config.encryptionKeys, row.accessTokenSealed, sealContext.token(orgId, tenant, "access_token"));
    }
    const lease = await takeLease(db, row);
    if (lease) return refreshWithLease(db, config, lease.row, lease.id).catch(kickOnExpiry(services, orgId));
    if (Date.now() > deadline) {
      throw new ApiError(503, "A token refresh for this Microsoft 365 connection is taking too long. Please retry.");
    }
    // Another request holds the lease: wait for it to store the new tokens, then read them.
    await sleep(Math.min(50 * 2 ** round, 500));
  }
}

/** After a refresh marked the connection expired, its webhook event is handed to the queue; the error stands. */
const kickOnExpiry = (services: Services, orgId: string) => async (err: unknown) => {
  if (err instanceof OutlookTokenUnavailableError && err.reason === "expired") {
    await kickWebhookDeliveries(services, orgId);
  }
  throw err;
};

async function takeLease(db: Database, row: OutlookConnectionRow) {
  const id = crypto.randomUUID();
  const now = new Date();
  const taken = await takeRefreshLease(db, row, id, now, new Date(now.getTime() + REFRESH_LEASE_MS));
  return taken ? { id, row: taken } : undefined;
}

async function refreshWithLease(
  db: Database,
  config: OutlookConfig,
  row: OutlookConnectionRow,
  leaseId: string,
): Promise<string> {
  const { orgId, tenantId } = row;
  const release = () => releaseRefreshLease(db, orgId, tenantId, leaseId);
  if (!row.refreshTokenSealed) {
    // Without offline_access there is nothing to refresh with: a new sign-in is needed.
    await markExpired(db, row, leaseId, "no_refresh_token");
    throw new OutlookTokenUnavailableError("expired", tenantId);
  }
  let tokens: Awaited<ReturnType<typeof refreshTokens>>;
  let refreshToken: string;
  try {
    refreshToken = await open(
      config.encryptionKeys,
      row.refreshTokenSealed,
      sealContext.token(orgId, tenantId, "refresh_token"),
    );
    tokens = await refreshTokens(config, tenantId, refreshToken);
  } catch (err) {
    if (err instanceof MicrosoftOAuthError && needsReconnect(err.error)) {
      logRefreshFailure(row, err, "expired");
      await markExpired(db, row, leaseId, err.error + (err.aadsts[0] ? ` (AADSTS${err.aadsts[0]})` : ""));
      throw new OutlookTokenUnavailableError("expired", tenantId);
    }
    await release();
    if (err instanceof MicrosoftOAuthError) {
      logRefreshFailure(row, err, "kept");
      throw new ApiError(503, `Microsoft refused the token refresh (${err.error}). Please retry.`);
    }
    throw err;
  }
  await storeRefreshedTokens(db, config, row, leaseId, tokens, refreshToken);
  return tokens.accessToken();
}

/** Stores a refresh's tokens (versioned, releasing our lease) before the access token is handed out. */
async function storeRefreshedTokens(
  db: Database,
  config: OutlookConfig,
  row: OutlookConnectionRow,
  leaseId: string,
  tokens: Awaited<ReturnType<typeof refreshTokens>>,
  previousRefreshToken: string,
) {
  const { orgId, tenantId } = row;
  // Microsoft rotates refresh tokens; keep the old one only if no new one came back.
  const sealed = await sealTokens(config.encryptionKeys, orgId, tenantId, {
    accessToken: tokens.accessToken(),
    refreshToken: tokens.hasRefreshToken() ? tokens.refreshToken() : previousRefreshToken,
    expiresAt: tokens.accessTokenExpiresAt(),
    scopes: tokens.hasScopes() ? tokens.scopes().filter(Boolean) : row.scopes,
  });
  if (!(await saveRefreshedTokens(db, row, leaseId, sealed))) {
    // Disconnected meanwhile, or (after our lease lapsed) another request stored newer tokens.
    const current = await findConnection(db, orgId, tenantId);
    if (!current) throw new OutlookTokenUnavailableError("not_connected", tenantId);
  }
}

async function markExpired(db: Database, row: OutlookConnectionRow, leaseId: string, reason: string) {
  const data = { tenant_id: row.tenantId, reason: reason.slice(0, 200), action: "reconnect" as const };
  await db.batch([
    markExpiredStatement(db, row, leaseId, reason),
    // The webhook event, only when this versioned write landed (src/db/outbox/outbox.ts).
    ...eventStatements(db, { orgId: row.orgId, type: "outlook.connection.expired", data }),
  ]);
}

function logRefreshFailure(row: OutlookConnectionRow, err: MicrosoftOAuthError, connection: "expired" | "kept") {
  // Codes and ids only: never a token, never Microsoft's free-text description.
  logEvent("warn", "outlook_token_refresh_failed", {
    orgId: row.orgId,
    tenantId: row.tenantId,
    error: err.error,
    aadsts: err.aadsts,
    connection,
  });
}
