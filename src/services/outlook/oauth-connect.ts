import { getDb } from "@/db/client";
import type { AppEnv, AuthContext } from "@/lib/types";
import { browserSecretFor } from "./browser-binding";
import { outlookConfig } from "./config";
import { buildAuthorizationUrl } from "./identity-platform";
import { type FlowAnswer, newAdminConsentUrl, outlookErrorBody } from "./oauth-result";
import { createOAuthState, lastFinishedAttempt } from "./store";

/**
 * `connectOutlook`: the Microsoft authorization URL (code flow with PKCE, one-time state), or — while
 * the org's last attempt for the tenant failed because an administrator must consent first — 403 with
 * an admin consent URL. Either way the state is bound to the calling browser through the flow cookie
 * (see browser-binding.ts), which the answer sets.
 */
export async function startConnect(
  env: AppEnv,
  auth: Pick<AuthContext, "orgId" | "userId">,
  cookie: string | undefined,
): Promise<FlowAnswer<{ authorization_url: string }>> {
  const config = outlookConfig(env);
  const { orgId, userId } = auth;
  const db = getDb(env.DB);
  const browser = await browserSecretFor(db, cookie, { orgId, userId });
  const setCookie = { action: "set", secret: browser.secret } as const;
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
  if (!codeVerifier) throw new Error("authorize state without a PKCE verifier");
  return {
    status: 200,
    body: { authorization_url: buildAuthorizationUrl(config, config.tenant, state, codeVerifier) },
    cookie: setCookie,
  };
}
