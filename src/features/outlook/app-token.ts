import type { Database } from "@/db/client";
import type { AppPermissionState } from "@/db/schema";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import type { PollingReasonCode } from "@/shared/mailbox-live";
import { outlookConfig } from "./config";
import { clientCredentialsToken, MicrosoftOAuthError } from "./identity-platform";
import { findConnection, recordAppPermission } from "./outlook-connections.store";

/**
 * App-only (client credentials) Graph tokens, for what delegated tokens cannot do: change-notification
 * subscriptions on shared and other users' mailboxes need the application permission `Mail.Read`. It is
 * detected however it was granted (our admin consent flow, the Azure portal, a script): Microsoft issues
 * a client-credentials token to any tenant where the app has a service principal, and the token's
 * `roles` say which application permissions the tenant's administrator granted. Each check's result is
 * kept per connection (`app_permission`, shown by getOutlookConnectionStatus). Tokens are issued only
 * for a tenant the org itself connected, and kept in this isolate's memory only (never stored), until
 * 5 minutes before they expire.
 */

/** No app-only token for the tenant: live sync runs on delta polling instead (the reason says why). */
export class AppOnlyTokenUnavailableError extends Error {
  constructor(
    readonly reason: string,
    readonly code: PollingReasonCode = "app_permission_missing",
  ) {
    super(reason);
    this.name = "AppOnlyTokenUnavailableError";
  }
}

/** Application permissions that let app-only tokens read any mailbox's mail (and so subscribe to it). */
const MAIL_READ_ROLES: ReadonlySet<string> = new Set(["Mail.Read", "Mail.ReadWrite"]);

const MISSING =
  "The application permission Mail.Read is not granted in the tenant: an administrator must grant it " +
  "(GET /v2/outlook/connect?admin_consent=true&tenant_id=…) before change notifications can be used";

const MARGIN_MS = 5 * 60 * 1000;
/** A check that finds what the connection already records is written back at most this often. */
const RECHECK_WRITE_MS = 10 * 60 * 1000;
/** How long a tenant found without the permission is not asked again (each mailbox retries on its own). */
const MISSING_CACHE_MS = 15 * 60 * 1000;
type CacheEntry = { token: string; expiresAt: number } | { missing: string; expiresAt: number };
const cache = new Map<string, CacheEntry>();

/** What the app-only token needs: the connection rows, and the identity platform's settings. */
type AppTokenServices = Pick<Services, "db" | "config" | "tokenKeys">;

const cacheKey = (services: Pick<Services, "config" | "tokenKeys">, tenant: string) => {
  const config = outlookConfig(services);
  return JSON.stringify([config.loginBaseUrl, config.clientId, tenant]);
};

/** Forgets the isolate's token for the tenant: the next request asks Microsoft again (and re-reads its roles). */
export function forgetAppOnlyToken(services: Pick<Services, "config" | "tokenKeys">, tenantId: string) {
  cache.delete(cacheKey(services, tenantId.toLowerCase()));
}

export async function getAppOnlyToken(services: AppTokenServices, orgId: string, tenantId: string): Promise<string> {
  const tenant = tenantId.toLowerCase();
  const { db } = services;
  const row = await findConnection(db, orgId, tenant);
  if (!row || (row.status !== "connected" && row.status !== "expired")) {
    throw new AppOnlyTokenUnavailableError(
      `The organization has no Microsoft 365 connection for tenant ${tenant}: connect it again`,
      "reconnect_required",
    );
  }
  const note = (state: AppPermissionState, detail: string | null) =>
    noteAppPermission(db, row, { orgId, tenantId: tenant, state, detail });
  const key = cacheKey(services, tenant);
  const cached = cache.get(key);
  if (cached && cached.expiresAt - MARGIN_MS > Date.now()) {
    // What another org's request (or an earlier one) found: this org's connection records it too.
    if ("missing" in cached) {
      await note("missing", cached.missing);
      throw new AppOnlyTokenUnavailableError(MISSING);
    }
    await note("granted", null);
    return cached.token;
  }
  let issued: Awaited<ReturnType<typeof clientCredentialsToken>>;
  try {
    issued = await clientCredentialsToken(outlookConfig(services), tenant);
  } catch (err) {
    if (!(err instanceof MicrosoftOAuthError)) throw err;
    const code = err.aadsts[0] ? ` (AADSTS${err.aadsts[0]})` : "";
    const detail = `Microsoft refused an app-only token: ${err.error}${code}`;
    if (!NO_SERVICE_PRINCIPAL.has(err.error)) {
      // Our credentials (an expired client secret) or Microsoft's trouble: nothing the tenant must change.
      throw new AppOnlyTokenUnavailableError(`${detail}; retried later`, "subscription_failed");
    }
    return rememberMissing(key, note, detail);
  }
  if (!issued.roles.some((role) => MAIL_READ_ROLES.has(role))) {
    return rememberMissing(key, note, "App-only tokens for the tenant carry no Mail.Read application permission");
  }
  await note("granted", null);
  cache.set(key, { token: issued.accessToken, expiresAt: Date.now() + issued.expiresInSeconds * 1000 });
  return issued.accessToken;
}

/**
 * Token errors that mean the app has no service principal in the tenant (nobody there consented to it),
 * as opposed to errors of our credentials or of Microsoft.
 */
const NO_SERVICE_PRINCIPAL: ReadonlySet<string> = new Set(["unauthorized_client"]);

async function rememberMissing(
  key: string,
  note: (state: AppPermissionState, detail: string | null) => Promise<void>,
  detail: string,
): Promise<never> {
  cache.set(key, { missing: detail, expiresAt: Date.now() + MISSING_CACHE_MS + MARGIN_MS });
  await note("missing", detail);
  throw new AppOnlyTokenUnavailableError(MISSING);
}

/**
 * Graph refused an app-only request on one of the tenant's mailboxes for lack of permission (401/403). The tenant's grant may
 * have been revoked since the token was issued, or an application access policy leaves this mailbox out:
 * a fresh token tells. Without the permission, the connection records it as missing (thrown as
 * `app_permission_missing`); with it, only this mailbox is refused (answered as `mailbox_access_denied`).
 */
export async function appPermissionRefused(
  services: AppTokenServices,
  orgId: string,
  tenantId: string,
): Promise<PollingReasonCode> {
  forgetAppOnlyToken(services, tenantId);
  try {
    await getAppOnlyToken(services, orgId, tenantId);
    return "mailbox_access_denied";
  } catch (err) {
    if (err instanceof AppOnlyTokenUnavailableError) return err.code;
    throw err;
  }
}

async function noteAppPermission(
  db: Database,
  row: { appPermission: AppPermissionState | null; appPermissionCheckedAt: string | null },
  input: { orgId: string; tenantId: string; state: AppPermissionState; detail: string | null },
) {
  const unchanged = row.appPermission === input.state;
  const recent = row.appPermissionCheckedAt && Date.now() - Date.parse(row.appPermissionCheckedAt) < RECHECK_WRITE_MS;
  if (unchanged && recent) return;
  await recordAppPermission(db, input.orgId, input.tenantId, input.state, input.detail);
  if (!unchanged) {
    logEvent("info", "outlook_app_permission", { orgId: input.orgId, tenantId: input.tenantId, state: input.state });
  }
}
