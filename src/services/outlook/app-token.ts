import { getDb } from "@/db/client";
import type { AppEnv } from "@/lib/types";
import { outlookConfig } from "./config";
import { clientCredentialsToken, MicrosoftOAuthError } from "./identity-platform";
import { findConnection } from "./store";

/**
 * App-only (client credentials) Graph tokens, for what delegated tokens cannot do: change-notification
 * subscriptions on shared and other users' mailboxes need the application permission `Mail.Read`, which
 * only a tenant whose admin granted admin consent has. Tokens are kept in this isolate's memory only
 * (never stored), until 5 minutes before they expire.
 */

/** No app-only token for the tenant: live sync runs on delta polling instead (the reason says why). */
export class AppOnlyTokenUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "AppOnlyTokenUnavailableError";
  }
}

const MARGIN_MS = 5 * 60 * 1000;
const cache = new Map<string, { token: string; expiresAt: number }>();

export async function getAppOnlyToken(env: AppEnv, orgId: string, tenantId: string): Promise<string> {
  const tenant = tenantId.toLowerCase();
  const row = await findConnection(getDb(env.DB), orgId, tenant);
  if (!row?.adminConsentedAt) {
    throw new AppOnlyTokenUnavailableError(
      "The tenant has not granted admin consent, so the application permission Mail.Read that change " +
        "notifications on shared mailboxes need is missing",
    );
  }
  const config = outlookConfig(env);
  const key = JSON.stringify([config.loginBaseUrl, config.clientId, tenant]);
  const cached = cache.get(key);
  if (cached && cached.expiresAt - MARGIN_MS > Date.now()) return cached.token;
  try {
    const { accessToken, expiresInSeconds } = await clientCredentialsToken(config, tenant);
    cache.set(key, { token: accessToken, expiresAt: Date.now() + expiresInSeconds * 1000 });
    return accessToken;
  } catch (err) {
    if (err instanceof MicrosoftOAuthError) {
      const code = err.aadsts[0] ? ` (AADSTS${err.aadsts[0]})` : "";
      throw new AppOnlyTokenUnavailableError(`Microsoft refused an app-only token: ${err.error}${code}`);
    }
    throw err;
  }
}
