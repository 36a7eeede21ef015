/**
 * The identity platform stand-in's per-tenant state (test/servers/oauth-server.ts) and its admin API
 * (`POST|GET /__tenants/{tid}`): consent, token settings, injected faults, recorded requests.
 */

export interface TokenRequestRecord {
  grant_type: string;
  tenant_segment: string;
  client_auth: "basic" | "post" | "none";
  redirect_uri?: string;
  code_verifier?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  scope?: string;
  outcome: string;
}

export interface TenantState {
  adminConsentRequired: boolean;
  /** The app has a service principal: an admin consented, or a user consented. */
  consented: boolean;
  /** Application permissions granted to the service principal (only an admin grants them). */
  appRoles: string[];
  accessTokenTtl: number;
  refreshError: { error: string; description: string } | null;
  /** Refreshes answer 200 without an access token (a faulty identity platform). */
  refreshIncomplete: boolean;
  /** Claims merged into the id tokens (e.g. a wrong `aud`), and whether to break their signature. */
  idTokenClaims: Record<string, unknown>;
  idTokenTamper: boolean;
  /** A `kid` the JWKS does not publish, put in the id tokens' header. */
  idTokenKid: string | null;
  requests: TokenRequestRecord[];
  issued: { access_tokens: string[]; refresh_tokens: string[]; id_tokens: string[] };
  counters: { authorization_code: number; refresh_token: number; client_credentials: number };
}

export function newTenantState(): TenantState {
  return {
    adminConsentRequired: false,
    consented: false,
    appRoles: [],
    accessTokenTtl: 3600,
    refreshError: null,
    refreshIncomplete: false,
    idTokenClaims: {},
    idTokenTamper: false,
    idTokenKid: null,
    requests: [],
    issued: { access_tokens: [], refresh_tokens: [], id_tokens: [] },
    counters: { authorization_code: 0, refresh_token: 0, client_credentials: 0 },
  };
}

/** `value` as a list of strings, or null when it is something else. */
function stringList(value: unknown): string[] | null {
  return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : null;
}

/** Applies `POST /__tenants/{tid}`; answers what is wrong with the body (and changes nothing) or null. */
export function applyTenantSettings(t: TenantState, body: Record<string, unknown>): string | null {
  const appRoles = "app_roles" in body ? stringList(body.app_roles) : undefined;
  if (appRoles === null) return "app_roles must be a list of strings";
  if (typeof body.admin_consent_required === "boolean") t.adminConsentRequired = body.admin_consent_required;
  if (typeof body.access_token_ttl === "number") t.accessTokenTtl = body.access_token_ttl;
  if (typeof body.refresh_incomplete === "boolean") t.refreshIncomplete = body.refresh_incomplete;
  if ("refresh_error" in body) t.refreshError = (body.refresh_error as TenantState["refreshError"]) ?? null;
  if (typeof body.id_token_claims === "object" && body.id_token_claims !== null) {
    t.idTokenClaims = body.id_token_claims as Record<string, unknown>;
  }
  if (typeof body.id_token_tamper === "boolean") t.idTokenTamper = body.id_token_tamper;
  if ("id_token_kid" in body) t.idTokenKid = typeof body.id_token_kid === "string" ? body.id_token_kid : null;
  if (appRoles) {
    t.appRoles = [...new Set(appRoles)];
    // Granting application permissions (e.g. in the Azure portal) creates the service principal too.
    if (t.appRoles.length > 0) t.consented = true;
  }
  return null;
}

/** `GET /__tenants/{tid}` (and the answer to a POST). */
export function tenantView(t: TenantState) {
  return {
    admin_consent_required: t.adminConsentRequired,
    consented: t.consented,
    app_roles: t.appRoles,
    counters: t.counters,
    requests: t.requests,
    issued: t.issued,
  };
}
