import type { Database } from "@/db/client";
import { errorBody } from "@/lib/errors";
import type { FlowCookieChange } from "./browser-binding";
import type { OutlookConfig } from "./config";
import { buildAdminConsentUrl } from "./identity-platform";
import { createOAuthState } from "./outlook-oauth-states.store";

/** The contract's OutlookConnectionError, with the `status` every error envelope of this API carries. */
export interface OutlookErrorBody {
  error: string;
  status: number;
  error_description?: string;
  admin_consent_url?: string;
}

export function outlookErrorBody(
  status: 400 | 403,
  error: string,
  description?: string,
  adminConsentUrl?: string,
): OutlookErrorBody {
  return {
    ...errorBody(status, error),
    ...(description !== undefined && { error_description: description.slice(0, 1000) }),
    ...(adminConsentUrl !== undefined && { admin_consent_url: adminConsentUrl }),
  };
}

/** A flow step's status and body. */
export type FlowOutcome<Success> = { status: 200; body: Success } | { status: 400 | 403; body: OutlookErrorBody };

/** A flow step's answer: the status and body to send, and what to do with the flow cookie. */
export type FlowAnswer<Success> = FlowOutcome<Success> & { cookie?: FlowCookieChange };

/**
 * A new one-time admin consent state for the org and user, bound to the same browser and to the tenant
 * the consent URL is issued for, and the URL that carries it.
 */
export async function newAdminConsentUrl(
  db: Database,
  config: OutlookConfig,
  input: { orgId: string; userId: string | undefined; tenantId: string; browserHash: string },
) {
  const { state, codeVerifier } = await createOAuthState(db, config.encryptionKeys, {
    ...input,
    flow: "admin_consent",
  });
  return buildAdminConsentUrl(config, input.tenantId, state, codeVerifier);
}
