import type { OAuth2Tokens } from "arctic";
import { z } from "zod";
import { type Database, getDb } from "@/db/client";
import type { OutlookConnectionRow, OutlookOAuthStateRow } from "@/db/schema";
import { ApiError, errorBody, notFound } from "@/lib/errors";
import { logEvent } from "@/lib/log";
import type { AppRouteHandler } from "@/lib/types";
import type {
  OAuthCallbackQuerySchema,
  OutlookConnectionErrorSchema,
  OutlookConnectionStatus,
} from "@/schemas/outlook";
import { disconnectTenantMailboxes } from "@/services/mailboxes";
import { type MicrosoftConfig, microsoftConfig, OUTLOOK_SCOPES } from "@/services/microsoft/config";
import {
  buildAdminConsentUrl,
  buildAuthorizationUrl,
  exchangeCode,
  IdTokenError,
  isTenantId,
  MicrosoftOAuthError,
  needsAdminConsent,
  proveAdminConsent,
  validateIdToken,
} from "@/services/microsoft/identity";
import {
  type AttemptOutcome,
  consumeOAuthState,
  createOAuthState,
  deleteConnection,
  findConnection,
  finishAttempt,
  lastFinishedAttempt,
  listConnections,
  markAdminConsented,
  openCodeVerifier,
  recordAttempt,
  saveConnectedTokens,
} from "@/services/microsoft/store";
import type {
  ConnectOutlookRoute,
  DisconnectOutlookRoute,
  GetOutlookConnectionStatusRoute,
  OutlookOAuthCallbackRoute,
} from "./outlook.routes";

type OutlookErrorBody = z.infer<typeof OutlookConnectionErrorSchema>;

const outlookErrorBody = (status: 400 | 403, error: string, description?: string, adminConsentUrl?: string) =>
  ({
    ...errorBody(status, error),
    ...(description !== undefined && { error_description: description.slice(0, 1000) }),
    ...(adminConsentUrl !== undefined && { admin_consent_url: adminConsentUrl }),
  }) satisfies OutlookErrorBody;

/** A new one-time admin consent state for the flow's org and user, and the URL that carries it. */
async function newAdminConsentUrl(
  db: Database,
  config: MicrosoftConfig,
  input: { orgId: string; userId: string | undefined; tenantId: string },
) {
  const { state } = await createOAuthState(db, config.encryptionKeys, { ...input, flow: "admin_consent" });
  return buildAdminConsentUrl(config, input.tenantId, state);
}

export const connectOutlook: AppRouteHandler<ConnectOutlookRoute> = async (c) => {
  const config = microsoftConfig(c.env);
  const { orgId, userId } = c.get("auth");
  const db = getDb(c.env.DB);
  const last = await lastFinishedAttempt(db, orgId, config.tenant);
  if (last?.outcome === "failed" && last.consentRequired) {
    const url = await newAdminConsentUrl(db, config, { orgId, userId, tenantId: config.tenant });
    return c.json(
      outlookErrorBody(
        403,
        last.error ?? "consent_required",
        "An administrator of the Microsoft 365 tenant must grant consent first: open admin_consent_url as a " +
          "tenant administrator, then connect again.",
        url,
      ),
      403,
    );
  }
  const { state, codeVerifier } = await createOAuthState(db, config.encryptionKeys, {
    orgId,
    userId,
    flow: "authorize",
    tenantId: config.tenant,
  });
  if (!codeVerifier) throw new Error("authorize state without a PKCE verifier");
  return c.json({ authorization_url: buildAuthorizationUrl(config, config.tenant, state, codeVerifier) }, 200);
};

type CallbackQuery = z.infer<typeof OAuthCallbackQuerySchema>;

export const outlookOAuthCallback: AppRouteHandler<OutlookOAuthCallbackRoute> = async (c) => {
  // Configuration first: a misconfigured deployment answers 503 without spending the user's state.
  const config = microsoftConfig(c.env);
  const query = c.req.valid("query");
  const db = getDb(c.env.DB);
  const state = await consumeOAuthState(db, query.state);
  if (!state) {
    return c.json(
      outlookErrorBody(
        400,
        "invalid_state",
        "The OAuth state is unknown, expired or was already used: start again with GET /v2/outlook/connect",
      ),
      400,
    );
  }
  const fail: Fail = async (status, result, adminConsent = false) => {
    await finishAttempt(db, state, { ...result, outcome: "failed", consentRequired: adminConsent });
    logEvent("info", "outlook_connect_failed", {
      orgId: state.orgId,
      tenantId: state.tenantId,
      flow: state.flow,
      error: result.error,
    });
    const url = adminConsent
      ? await newAdminConsentUrl(db, config, {
          orgId: state.orgId,
          userId: state.userId ?? undefined,
          tenantId: state.tenantId,
        })
      : undefined;
    return { status, body: outlookErrorBody(status, result.error, result.errorDescription, url) };
  };

  const result = await dispatchCallback(config, db, state, query, fail);
  if (result.status === 200) return c.json(result.body, 200);
  if (result.status === 403) return c.json(result.body, 403);
  return c.json(result.body, 400);
};

type CallbackResult =
  | { status: 200; body: { connected: boolean; expires_at?: string; scope?: string } }
  | { status: 400 | 403; body: OutlookErrorBody };

/** Records the state's attempt as failed (with `error`) and answers it; `adminConsent` adds a consent URL. */
type Fail = (
  status: 400 | 403,
  result: Omit<AttemptOutcome, "outcome" | "consentRequired"> & { error: string },
  adminConsent?: boolean,
) => Promise<CallbackResult>;

function dispatchCallback(
  config: MicrosoftConfig,
  db: Database,
  state: OutlookOAuthStateRow,
  query: CallbackQuery,
  fail: Fail,
): Promise<CallbackResult> {
  const branches = [query.error, query.admin_consent, query.code].filter((v) => v !== undefined).length;
  if (branches !== 1) {
    return fail(400, {
      error: "invalid_request",
      errorDescription: "The callback needs exactly one of code, error or admin_consent",
    });
  }
  if (query.error !== undefined) return errorRedirect(state, query, fail);
  if (query.admin_consent !== undefined) return adminConsentRedirect(config, db, state, query, fail);
  return codeRedirect(config, db, state, query.code ?? "", fail);
}

/** Microsoft redirected with an error: recorded; 403 with an admin consent URL when consent is needed. */
function errorRedirect(state: OutlookOAuthStateRow, query: CallbackQuery, fail: Fail): Promise<CallbackResult> {
  const error = query.error || "unknown_error";
  // A failed admin consent leaves the consent still missing.
  const consent = needsAdminConsent(error, query.error_description) || state.flow === "admin_consent";
  return fail(
    consent ? 403 : 400,
    {
      error,
      errorDescription: query.error_description,
      errorSubcode: query.error_subcode,
      errorUri: query.error_uri,
    },
    consent,
  );
}

/**
 * `admin_consent=True&tenant=…`: anyone can forge this redirect, so besides the one-time state the
 * consent is proven with a client-credentials token for that tenant before the tenant becomes
 * `pending_auth`.
 */
async function adminConsentRedirect(
  config: MicrosoftConfig,
  db: Database,
  state: OutlookOAuthStateRow,
  query: CallbackQuery,
  fail: Fail,
): Promise<CallbackResult> {
  const invalid = (description: string) => fail(400, { error: "invalid_request", errorDescription: description });
  if (state.flow !== "admin_consent") return invalid("This state was not issued for an admin consent");
  if (query.admin_consent?.toLowerCase() !== "true") return invalid("admin_consent must be True");
  const tenant = query.tenant?.trim().toLowerCase();
  if (!tenant || !isTenantId(tenant)) return invalid("tenant must be the consenting tenant's id");
  if (isTenantId(state.tenantId) && state.tenantId.toLowerCase() !== tenant) {
    return invalid(`The consent was requested for tenant ${state.tenantId}, not ${tenant}`);
  }
  try {
    await proveAdminConsent(config, tenant);
  } catch (err) {
    if (!(err instanceof MicrosoftOAuthError)) throw err;
    return fail(
      403,
      {
        error: err.error,
        errorDescription: `The admin consent for tenant ${tenant} could not be confirmed with Microsoft${
          err.aadsts[0] ? ` (AADSTS${err.aadsts[0]})` : ""
        }`,
      },
      true,
    );
  }
  await markAdminConsented(db, state.orgId, tenant, state.userId);
  await finishAttempt(db, state, { outcome: "succeeded" });
  if (tenant !== state.tenantId) await recordAttempt(db, state, tenant, { outcome: "succeeded" });
  logEvent("info", "outlook_admin_consent", { orgId: state.orgId, tenantId: tenant });
  return { status: 200, body: { connected: false } };
}

/** `code=…`: exchange with the PKCE verifier, validate the id_token, store the tokens sealed. */
async function codeRedirect(
  config: MicrosoftConfig,
  db: Database,
  state: OutlookOAuthStateRow,
  code: string,
  fail: Fail,
): Promise<CallbackResult> {
  if (state.flow !== "authorize") {
    return fail(400, {
      error: "invalid_request",
      errorDescription: "This state was not issued for a sign-in",
    });
  }
  const verifier = await openCodeVerifier(config.encryptionKeys, state);
  if (!verifier) throw new Error("authorize state without a PKCE verifier");
  let tokens: ReturnType<typeof readTokens>;
  let idToken: string;
  try {
    const answer = await exchangeCode(config, state.tenantId, code, verifier);
    tokens = readTokens(answer);
    idToken = answer.idToken();
  } catch (err) {
    if (err instanceof MicrosoftOAuthError) {
      const consent = needsAdminConsent(err.error, err.description);
      return fail(consent ? 403 : 400, { error: err.error, errorDescription: err.description }, consent);
    }
    if (err instanceof ApiError) throw err;
    return fail(400, {
      error: "invalid_id_token",
      errorDescription: "Microsoft answered no id_token",
    });
  }
  let identity: Awaited<ReturnType<typeof validateIdToken>>;
  try {
    identity = await validateIdToken(config, state.tenantId, idToken);
  } catch (err) {
    if (!(err instanceof IdTokenError)) throw err;
    return fail(400, { error: "invalid_id_token", errorDescription: err.message });
  }
  const email = [identity.email, identity.preferredUsername].find((v) => v && z.email().safeParse(v).success);
  await saveConnectedTokens(db, config.encryptionKeys, {
    orgId: state.orgId,
    tenantId: identity.tenantId,
    epilotUserId: state.userId,
    identity: { objectId: identity.objectId, name: identity.name, email },
    tokens,
  });
  await finishAttempt(db, state, { outcome: "succeeded" });
  if (identity.tenantId !== state.tenantId) {
    await recordAttempt(db, state, identity.tenantId, { outcome: "succeeded" });
  }
  logEvent("info", "outlook_connected", { orgId: state.orgId, tenantId: identity.tenantId });
  return {
    status: 200,
    body: { connected: true, expires_at: tokens.expiresAt.toISOString(), scope: tokens.scopes.join(" ") },
  };
}

/** The token answer's fields; an answer without them is Microsoft misbehaving, not the user's fault. */
function readTokens(answer: OAuth2Tokens) {
  try {
    return {
      accessToken: answer.accessToken(),
      refreshToken: answer.hasRefreshToken() ? answer.refreshToken() : undefined,
      expiresAt: answer.accessTokenExpiresAt(),
      scopes: answer.hasScopes() ? answer.scopes().filter(Boolean) : [...OUTLOOK_SCOPES],
    };
  } catch {
    throw new ApiError(503, "The Microsoft identity platform answered an incomplete token response. Please retry.");
  }
}

const ACTIONS = {
  connected: { action: "none", action_label: "Connected" },
  pending_auth: { action: "authorize", action_label: "Authorize" },
  expired: { action: "reconnect", action_label: "Reconnect" },
  not_connected: { action: "connect", action_label: "Connect" },
} as const;

export function toConnectionStatus(row: OutlookConnectionRow, now = Date.now()): OutlookConnectionStatus {
  const expiresAt = row.accessTokenExpiresAt ?? undefined;
  return {
    status: row.status,
    ...ACTIONS[row.status],
    tenant_id: row.tenantId,
    ...(row.connectedByDisplayName && { connected_by_display_name: row.connectedByDisplayName }),
    ...(row.connectedByEmail && { connected_by_email: row.connectedByEmail }),
    ...(row.connectedByUserId && { connected_by_user_id: row.connectedByUserId }),
    ...(row.connectedAt && { connected_at: row.connectedAt }),
    updated_at: row.updatedAt,
    scopes: row.scopes,
    ...(expiresAt && { expires_at: expiresAt }),
    is_token_valid:
      row.status === "connected" && row.accessTokenSealed !== null && !!expiresAt && Date.parse(expiresAt) > now,
  };
}

export const getOutlookConnectionStatus: AppRouteHandler<GetOutlookConnectionStatusRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const rows = await listConnections(getDb(c.env.DB), orgId);
  const connections = rows.map((row) => toConnectionStatus(row));
  return c.json({ connections, has_connections: connections.length > 0 }, 200);
};

export const disconnectOutlook: AppRouteHandler<DisconnectOutlookRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const tenantId = c.req.valid("json").tenant_id.toLowerCase();
  const db = getDb(c.env.DB);
  const notConnected = () => notFound(`No Microsoft 365 connection for tenant '${tenantId}' in this organization`);
  if (!(await findConnection(db, orgId, tenantId))) throw notConnected();
  // The tenant's mailboxes go first, while its token can still remove their Graph subscriptions.
  const affected = await disconnectTenantMailboxes(c.env, orgId, tenantId);
  if (!(await deleteConnection(db, orgId, tenantId))) throw notConnected();
  logEvent("info", "outlook_disconnected", { orgId, tenantId });
  return c.json({ success: true, tenant_id: tenantId, affected_shared_inboxes: affected }, 200);
};
