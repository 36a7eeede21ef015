import type { Database } from "@/db/client";
import { ApiError } from "@/lib/errors";
import type { Services } from "@/lib/services";
import type { AuthContext } from "@/lib/types";
import { browserSecretFor } from "./browser-binding";
import { outlookConfig } from "./config";
import { buildAuthorizationUrl } from "./identity-platform";
import { type FlowAnswer, newAdminConsentUrl, outlookErrorBody } from "./oauth-result";
import { findConnection } from "./outlook-connections.store";
import { lastFinishedAttempt } from "./outlook-oauth-attempts.store";
import { createOAuthState } from "./outlook-oauth-states.store";

export interface ConnectOptions {
  admin_consent?: "true" | "false";
  tenant_id?: string;
}

/**
 * The tenant an admin consent is asked for (`admin_consent=true&tenant_id=…`), which must be one the org
 * connected and signed in to; undefined for a sign-in.
 */
async function adminConsentTenant(db: Database, orgId: string, options: ConnectOptions) {
  if (options.admin_consent !== "true") {
    if (options.tenant_id !== undefined) {
      throw new ApiError(400, "tenant_id: only used with admin_consent=true (the tenant to ask the consent for)");
    }
    return undefined;
  }
  if (!options.tenant_id) throw new ApiError(400, "tenant_id: required with admin_consent=true");
  const tenant = options.tenant_id.toLowerCase();
  const connection = await findConnection(db, orgId, tenant);
  if (!connection) {
    throw new ApiError(
      404,
      `Tenant ${tenant} is not connected to this organization: connect it first with GET /v2/outlook/connect`,
    );
  }
  if (connection.status !== "connected" && connection.status !== "expired") {
    throw new ApiError(
      409,
      `No user has signed in to tenant ${tenant} yet: connect it with GET /v2/outlook/connect, then ask for the admin consent`,
    );
  }
  return tenant;
}

/**
 * `connectOutlook`: the Microsoft authorization URL (code flow with PKCE, one-time state), or — while
 * the org's last attempt for the tenant failed because an administrator must consent first — 403 with
 * an admin consent URL. Either way the state is bound to the calling browser through the flow cookie
 * (see browser-binding.ts), which the answer sets. With `admin_consent=true&tenant_id=…` the URL asks an
 * administrator of that tenant for the admin consent instead (see buildAdminConsentUrl).
 */
export async function connectOutlook(
  services: Pick<Services, "db" | "config" | "tokenKeys">,
  auth: Pick<AuthContext, "orgId" | "userId">,
  cookie: string | undefined,
  options: ConnectOptions = {},
): Promise<FlowAnswer<{ authorization_url: string }>> {
  const config = outlookConfig(services);
  const { orgId, userId } = auth;
  const { db } = services;
  const consentTenant = await adminConsentTenant(db, orgId, options);
  const browser = await browserSecretFor(db, cookie, { orgId, userId });
  const setCookie = { action: "set", secret: browser.secret } as const;
  if (consentTenant) {
    const flow = { orgId, userId, tenantId: consentTenant, browserHash: browser.hash };
    return { status: 200, body: { authorization_url: await newAdminConsentUrl(db, config, flow) }, cookie: setCookie };
  }
  const flow = { orgId, userId, tenantId: config.tenant, browserHash: browser.hash };
  const last = await lastFinishedAttempt(db, orgId, config.tenant);
  if (last?.outcome === "failed" && last.consentRequired) {
    const url = await newAdminConsentUrl(db, config, flow);
    const description =
      "An administrator of the Microsoft 365 tenant must grant consent first: open admin_consent_url in this " +
      "browser and sign in as a tenant administrator, then connect again. An administrator using another " +
      "browser starts with Connect there: the URL works only in the browser it was issued to.";
    return {
      status: 403,
      body: outlookErrorBody(403, last.error ?? "consent_required", description, url),
      cookie: setCookie,
    };
  }
  const { state, codeVerifier } = await createOAuthState(db, config.encryptionKeys, { ...flow, flow: "authorize" });
  return {
    status: 200,
    body: { authorization_url: buildAuthorizationUrl(config, config.tenant, state, codeVerifier) },
    cookie: setCookie,
  };
}
