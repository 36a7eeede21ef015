import { z } from "@hono/zod-openapi";
import type { OAuth2Tokens } from "arctic";
import type { Database } from "@/db/client";
import { kickWebhookDeliveries } from "@/db/outbox";
import type { OutlookOAuthStateRow } from "@/db/schema";
import { ApiError } from "@/lib/errors";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import { forgetAppOnlyToken, getAppOnlyToken } from "./app-token";
import { browserMatches, cookieAfterCallback } from "./browser-binding";
import { OUTLOOK_SCOPES, type OutlookConfig, outlookConfig } from "./config";
import {
  exchangeCode,
  IdTokenError,
  MicrosoftOAuthError,
  needsAdminConsent,
  validateIdToken,
} from "./identity-platform";
import { type FlowAnswer, type FlowOutcome, newAdminConsentUrl, outlookErrorBody } from "./oauth-result";
import { markAdminConsented, saveConnectedTokens } from "./outlook-connections.store";
import { type AttemptOutcome, finishAttempt, recordAttempt } from "./outlook-oauth-attempts.store";
import { consumeOAuthState, findLiveOAuthState, openCodeVerifier } from "./outlook-oauth-states.store";
import type { TenantMailboxes } from "./tenant-mailboxes";

/** The redirect's query parameters (Microsoft's sign-in and admin consent redirects). */
export interface CallbackQuery {
  state: string;
  code?: string;
  error?: string;
  error_description?: string;
  error_subcode?: string;
  error_uri?: string;
  admin_consent?: string;
  tenant?: string;
}

interface CallbackResult {
  connected: boolean;
  expires_at?: string;
  scope?: string;
}

export type CallbackAnswer = FlowAnswer<CallbackResult>;

type Outcome = FlowOutcome<CallbackResult>;

/** Records the state's attempt as failed (with `error`) and answers it; `adminConsent` adds a consent URL. */
type Fail = (
  status: 400 | 403,
  result: Omit<AttemptOutcome, "outcome" | "consentRequired"> & { error: string },
  adminConsent?: boolean,
) => Promise<Outcome>;

interface Step {
  services: Services;
  config: OutlookConfig;
  db: Database;
  state: OutlookOAuthStateRow;
  query: CallbackQuery;
  fail: Fail;
  mailboxes: TenantMailboxes;
}

const INVALID_STATE: Outcome = {
  status: 400,
  body: outlookErrorBody(
    400,
    "invalid_state",
    "The OAuth state is unknown, expired or was already used: start again with GET /v2/outlook/connect",
  ),
};

const BROWSER_MISMATCH: Outcome = {
  status: 400,
  body: outlookErrorBody(
    400,
    "browser_mismatch",
    "This Microsoft 365 connection was started in another browser. Open the connect link in the same browser " +
      "you started from (the one that called GET /v2/outlook/connect), or start again there.",
  ),
};

/**
 * `outlookOAuthCallback`, the redirect target of Microsoft's sign-in and admin consent pages.
 *
 * Order matters: configuration first (a misconfigured deployment answers 503 without spending the
 * state), then the state is read, then the browser binding is checked, and only then is the state spent
 * and Microsoft called. A request without the flow cookie of the browser that started the flow (a link
 * forwarded to someone else: login CSRF) is answered 400 `browser_mismatch` and changes nothing: the
 * state stays usable by its own browser, no attempt is recorded, the cookie is left alone.
 */
export async function outlookOAuthCallback(
  services: Services,
  mailboxes: TenantMailboxes,
  query: CallbackQuery,
  cookie: string | undefined,
): Promise<CallbackAnswer> {
  const config = outlookConfig(services);
  const { db } = services;
  const pending = await findLiveOAuthState(db, query.state);
  if (!pending) return INVALID_STATE;
  const browserHash = pending.browserBindingHash;
  if (cookie === undefined || !browserHash || !browserMatches(browserHash, cookie)) {
    logEvent("warn", "outlook_connect_browser_mismatch", {
      orgId: pending.orgId,
      flow: pending.flow,
      cookie: cookie === undefined ? "missing" : "other",
    });
    return BROWSER_MISMATCH;
  }
  const state = await consumeOAuthState(db, pending);
  if (!state) return INVALID_STATE;
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
          browserHash,
        })
      : undefined;
    return { status, body: outlookErrorBody(status, result.error, result.errorDescription, url) };
  };
  const outcome = await dispatch({ services, config, db, state, query, fail, mailboxes });
  // Done with this flow: the cookie goes, unless another flow of this browser (a second tab, or the
  // admin consent URL just handed out) still needs it.
  return { ...outcome, cookie: await cookieAfterCallback(db, cookie) };
}

function dispatch(step: Step): Promise<Outcome> {
  const { query, fail } = step;
  const branches = [query.error, query.admin_consent, query.code].filter((v) => v !== undefined).length;
  if (branches !== 1) {
    return fail(400, {
      error: "invalid_request",
      errorDescription: "The callback needs exactly one of code, error or admin_consent",
    });
  }
  if (query.error !== undefined) return errorRedirect(step);
  if (query.admin_consent !== undefined) return unprovenConsentRedirect(step);
  return codeRedirect(step, query.code ?? "");
}

/** Microsoft redirected with an error: recorded; 403 with an admin consent URL when consent is needed. */
function errorRedirect({ state, query, fail }: Step): Promise<Outcome> {
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
 * `admin_consent=True&tenant=…`, the legacy admin consent endpoint's redirect: its query proves nothing
 * (anyone can write it), so it attaches no tenant and marks no consent, and every such redirect is
 * answered alike, whatever the state's flow and whichever tenant it names: no answer tells whether a
 * tenant consented. Admin consent is asked through the authorize endpoint, whose code proves the tenant.
 */
async function unprovenConsentRedirect({ db, state }: Step): Promise<Outcome> {
  const error = "invalid_request";
  const errorDescription =
    "An admin consent is confirmed only by the sign-in code Microsoft returns with it, and this redirect " +
    "carries none. Ask for it again with GET /v2/outlook/connect?admin_consent=true&tenant_id=<tenant id>.";
  // An admin-consent state spent this way leaves the consent still missing: connect keeps offering it.
  await finishAttempt(db, state, {
    outcome: "failed",
    error,
    errorDescription,
    consentRequired: state.flow === "admin_consent",
  });
  logEvent("info", "outlook_connect_failed", { orgId: state.orgId, tenantId: state.tenantId, flow: state.flow, error });
  return { status: 400, body: outlookErrorBody(400, error, errorDescription) };
}

/**
 * `code=…`: exchange with the PKCE verifier and validate the id_token, whose `tid` proves the tenant. A
 * sign-in stores the tokens sealed; an admin consent records the consent for the proven tenant.
 */
async function codeRedirect(step: Step, code: string): Promise<Outcome> {
  const { config, state, fail } = step;
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
    return fail(400, { error: "invalid_id_token", errorDescription: "Microsoft answered no id_token" });
  }
  let identity: Identity;
  try {
    identity = await validateIdToken(config, state.tenantId, idToken);
  } catch (err) {
    if (!(err instanceof IdTokenError)) throw err;
    return fail(400, { error: "invalid_id_token", errorDescription: err.message });
  }
  if (state.flow === "admin_consent") return adminConsented(step, identity.tenantId);
  return signedIn(step, identity, tokens);
}

type Identity = Awaited<ReturnType<typeof validateIdToken>>;

async function signedIn(step: Step, identity: Identity, tokens: ReturnType<typeof readTokens>) {
  const { services, config, db, state } = step;
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
  await kickWebhookDeliveries(services, state.orgId);
  // Mailboxes that waited for this reconnect resume live sync from their stored delta links.
  await step.mailboxes.resume(state.orgId, identity.tenantId).catch((err) =>
    logEvent("warn", "mailbox_live_resume_failed", {
      orgId: state.orgId,
      message: err instanceof Error ? err.message.slice(0, 200) : String(err),
    }),
  );
  return {
    status: 200,
    body: { connected: true, expires_at: tokens.expiresAt.toISOString(), scope: tokens.scopes.join(" ") },
  } satisfies Outcome;
}

/**
 * The admin consent flow came back with a code for `tenant` (proven by the id_token). A code proves who
 * signed in and where, not that an administrator approved anything (the browser holding the state could
 * have dropped `prompt=admin_consent`), so nothing is attached or marked beyond the org's own connection to
 * that tenant: its `admin_consented_at` records that the flow completed, and the application permission is
 * checked at once (the token's roles decide). The tenant's mailboxes then set up change notifications
 * again, so they turn live without another call. A tenant the org has not connected gets nothing; its users
 * sign in next (connectOutlook no longer asks for consent). The administrator's tokens are not kept.
 */
async function adminConsented(step: Step, tenant: string): Promise<Outcome> {
  const { services, db, state } = step;
  const connected = await markAdminConsented(db, state.orgId, tenant);
  await finishAttempt(db, state, { outcome: "succeeded" });
  if (tenant !== state.tenantId) await recordAttempt(db, state, tenant, { outcome: "succeeded" });
  logEvent("info", "outlook_admin_consent", { orgId: state.orgId, tenantId: tenant, connected: !!connected });
  if (!connected) return { status: 200, body: { connected: false } };
  forgetAppOnlyToken(services, tenant);
  await getAppOnlyToken(services, state.orgId, tenant).catch(() => undefined);
  await step.mailboxes.retryNotifications(state.orgId, tenant).catch((err) =>
    logEvent("warn", "mailbox_live_retry_failed", {
      orgId: state.orgId,
      message: err instanceof Error ? err.message.slice(0, 200) : String(err),
    }),
  );
  return { status: 200, body: { connected: connected.status === "connected" } };
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
