import { decodeBase64urlIgnorePadding } from "@oslojs/encoding";
import { TokenRequestResult } from "@oslojs/oauth2";
import {
  ArcticFetchError,
  CodeChallengeMethod,
  OAuth2Client,
  OAuth2RequestError,
  type OAuth2Tokens,
  UnexpectedErrorResponseBodyError,
  UnexpectedResponseError,
} from "arctic";
import { TokenError, verifyJwt } from "@/clients/identity/jwt";
import { ApiError } from "@/lib/errors";
import { OUTLOOK_SCOPES, type OutlookConfig } from "./config";

/**
 * The Microsoft identity platform (v2.0 endpoints) as this service uses it: authorization code flow
 * with PKCE (S256) for delegated tokens and for the admin consent, refresh with rotation, client
 * credentials for app-only tokens, and id_token validation. Every URL derives from MS_LOGIN_BASE_URL, so national clouds and
 * the local test server work like the public cloud.
 */

/** An error answer of the identity platform (authorize redirect or token endpoint). */
export class MicrosoftOAuthError extends Error {
  constructor(
    /** The OAuth `error` code: what the code branches on. */
    readonly error: string,
    readonly description: string | undefined,
  ) {
    super(`Microsoft identity platform error: ${error}${aadstsSuffix(description)}`);
    this.name = "MicrosoftOAuthError";
  }

  /** The AADSTS numbers in the description, for logs and messages only. */
  get aadsts(): string[] {
    return aadstsCodes(this.description);
  }
}

function aadstsCodes(description: string | undefined | null): string[] {
  return [...(description ?? "").matchAll(/AADSTS(\d{4,7})/g)].map((m) => m[1] as string);
}

function aadstsSuffix(description: string | undefined) {
  const codes = aadstsCodes(description);
  return codes.length > 0 ? ` (AADSTS${codes.join(", AADSTS")})` : "";
}

/**
 * AADSTS errors meaning "an administrator must consent first": 65001 (no consent), 90094 / 900941
 * (admin approval required), 90095 (admin consent workflow). The OAuth code is `consent_required`
 * for silent requests and usually `access_denied` or `invalid_grant` otherwise, hence the numbers.
 */
const ADMIN_CONSENT_AADSTS: ReadonlySet<string> = new Set(["65001", "90094", "900941", "90095"]);

export function needsAdminConsent(error: string, description: string | undefined | null): boolean {
  return error === "consent_required" || aadstsCodes(description).some((code) => ADMIN_CONSENT_AADSTS.has(code));
}

/** Refresh failures that only a new interactive sign-in cures: the connection becomes `expired`. */
export function needsReconnect(error: string): boolean {
  return error === "invalid_grant" || error === "interaction_required";
}

/** A tenant id (GUID), as opposed to a segment like `organizations` or a domain name. */
export function isTenantId(tenant: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(tenant);
}

const endpoint = (config: OutlookConfig, tenant: string, path: string) =>
  `${config.loginBaseUrl}/${encodeURIComponent(tenant)}/${path}`;

const authorizeEndpoint = (c: OutlookConfig, tenant: string) => endpoint(c, tenant, "oauth2/v2.0/authorize");
const tokenEndpoint = (c: OutlookConfig, tenant: string) => endpoint(c, tenant, "oauth2/v2.0/token");
const keysEndpoint = (c: OutlookConfig, tenant: string) => endpoint(c, tenant, "discovery/v2.0/keys");
/** The `iss` of a v2.0 id_token issued in tenant `tid`. */
const expectedIssuer = (c: OutlookConfig, tid: string) => `${c.loginBaseUrl}/${tid}/v2.0`;

function client(config: OutlookConfig) {
  return new OAuth2Client(config.clientId, config.clientSecret, config.redirectUri);
}

/** The authorize URL: code flow, query response mode, PKCE S256, the mailbox scopes. */
export function buildAuthorizationUrl(config: OutlookConfig, tenant: string, state: string, codeVerifier: string) {
  const url = client(config).createAuthorizationURLWithPKCE(
    authorizeEndpoint(config, tenant),
    state,
    CodeChallengeMethod.S256,
    codeVerifier,
    [...OUTLOOK_SCOPES],
  );
  url.searchParams.set("response_mode", "query");
  // Several tenants can be connected: let the user pick the account instead of reusing the session's.
  url.searchParams.set("prompt", "select_account");
  return url.toString();
}

/**
 * The admin consent request: the authorize endpoint with `prompt=admin_consent` and the Graph resource's
 * `.default` scope, which grants every permission the app registration lists (the delegated ones and the
 * application permission `Mail.Read` that change notifications on shared mailboxes need) for the whole
 * tenant. Unlike the legacy `/adminconsent` endpoint, whose `admin_consent=True&tenant=…` redirect anyone
 * can forge, it answers a code: its token exchange yields an id_token whose `tid` proves the tenant.
 */
export function buildAdminConsentUrl(config: OutlookConfig, tenant: string, state: string, codeVerifier: string) {
  const url = client(config).createAuthorizationURLWithPKCE(
    authorizeEndpoint(config, tenant),
    state,
    CodeChallengeMethod.S256,
    codeVerifier,
    [`${config.graphResource}/.default`, "openid", "profile", "offline_access"],
  );
  url.searchParams.set("response_mode", "query");
  url.searchParams.set("prompt", "admin_consent");
  return url.toString();
}

/** Redeems an authorization code (form-encoded, with the PKCE verifier, redirect URI and client secret). */
export function exchangeCode(config: OutlookConfig, tenant: string, code: string, codeVerifier: string) {
  return tokenRequest(() =>
    client(config).validateAuthorizationCode(tokenEndpoint(config, tenant), code, codeVerifier),
  );
}

/** Redeems a refresh token; Microsoft answers a new (rotated) refresh token with the access token. */
export function refreshTokens(config: OutlookConfig, tenant: string, refreshToken: string) {
  return tokenRequest(() =>
    client(config).refreshAccessToken(tokenEndpoint(config, tenant), refreshToken, [...OUTLOOK_SCOPES]),
  );
}

async function tokenRequest(send: () => Promise<OAuth2Tokens>): Promise<OAuth2Tokens> {
  let tokens: OAuth2Tokens;
  try {
    tokens = await send();
  } catch (err) {
    if (err instanceof OAuth2RequestError) {
      throw new MicrosoftOAuthError(err.code, err.description ?? undefined);
    }
    throw unavailable(err);
  }
  // Checked here, for the code exchange and the refresh alike: a success without an access token or
  // its lifetime is Microsoft's fault (503), not ours, and must not surface later as a 500.
  try {
    tokens.accessToken();
    tokens.accessTokenExpiresAt();
  } catch {
    throw new ApiError(503, "The Microsoft identity platform answered an incomplete token response. Please retry.");
  }
  return tokens;
}

function unavailable(err: unknown): ApiError {
  let detail = "the request failed";
  if (err instanceof ArcticFetchError) detail = "it could not be reached";
  else if (err instanceof UnexpectedResponseError) detail = `it answered HTTP ${err.status}`;
  else if (err instanceof UnexpectedErrorResponseBodyError)
    detail = `it answered HTTP ${err.status} without an OAuth error`;
  return new ApiError(503, `The Microsoft identity platform is unavailable: ${detail}. Please retry.`);
}

/**
 * An app-only (client credentials) Graph token for `tenant`, with its lifetime and the application
 * permissions (`roles`) it carries: what live sync's change-notification subscriptions use. Microsoft issues
 * one to any tenant where the app has a service principal (a user's consent creates one too); only the
 * roles tell whether an administrator granted the application permissions.
 */
export async function clientCredentialsToken(
  config: OutlookConfig,
  tenant: string,
): Promise<{ accessToken: string; expiresInSeconds: number; roles: string[] }> {
  const body = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: config.clientId,
    client_secret: config.clientSecret,
    scope: `${config.graphResource}/.default`,
  });
  let response: Response;
  try {
    response = await fetch(tokenEndpoint(config, tenant), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body,
    });
  } catch (err) {
    throw unavailable(new ArcticFetchError(err));
  }
  const data = (await response.json().catch(() => null)) as object | null;
  if (data === null || typeof data !== "object") throw unavailable(new UnexpectedResponseError(response.status));
  const result = new TokenRequestResult(data);
  if (result.hasErrorCode()) {
    throw new MicrosoftOAuthError(
      result.errorCode(),
      result.hasErrorDescription() ? result.errorDescription() : undefined,
    );
  }
  if (!response.ok) throw unavailable(new UnexpectedResponseError(response.status));
  try {
    const accessToken = result.accessToken();
    let expiresInSeconds = 3600;
    try {
      expiresInSeconds = result.accessTokenExpiresInSeconds();
    } catch {
      // Microsoft always sends expires_in; without it the token is assumed to last the usual hour.
    }
    return { accessToken, expiresInSeconds, roles: tokenRoles(accessToken) };
  } catch {
    throw unavailable(new UnexpectedErrorResponseBodyError(response.status, null));
  }
}

interface IdTokenIdentity {
  tenantId: string;
  objectId: string;
  name?: string;
  preferredUsername?: string;
  email?: string;
}

/** How long Microsoft's signing keys are reused; a token with an unknown kid refetches them anyway. */
const MICROSOFT_KEYS_CACHE_TTL_SECONDS = 3600;
/**
 * Microsoft issues id_tokens for at most a day (token lifetime policies range from 10 minutes to 1 day).
 * Fixed here rather than JWT_MAX_TOKEN_LIFETIME_SECONDS, which bounds this API's own bearer tokens: a
 * deployment that shortens that one must not start refusing Microsoft's sign-ins.
 */
const ID_TOKEN_MAX_LIFETIME_SECONDS = 24 * 3600;

export class IdTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IdTokenError";
  }
}

/**
 * Validates the id_token of a code exchange: RS256 signature against the identity platform's keys
 * for `tenant`, `exp`/`nbf`, `aud` = our client id, `iss` = `{login}/{tid}/v2.0`, and — when the flow
 * was started for one tenant — `tid` = that tenant. Returns who signed in, in which tenant.
 */
export async function validateIdToken(config: OutlookConfig, tenant: string, idToken: string) {
  let claims: Record<string, unknown>;
  try {
    claims = await verifyJwt(idToken, {
      jwksUrl: keysEndpoint(config, tenant),
      audience: config.clientId,
      algorithms: ["RS256"],
      clockSkewSeconds: config.clockSkewSeconds,
      jwksCacheTtlSeconds: MICROSOFT_KEYS_CACHE_TTL_SECONDS,
      jwksFetchTimeoutMs: config.jwksFetchTimeoutMs,
      maxTokenLifetimeSeconds: ID_TOKEN_MAX_LIFETIME_SECONDS,
    });
  } catch (err) {
    if (err instanceof TokenError) {
      if (err.misconfigured) {
        throw new ApiError(
          503,
          `The Microsoft identity platform is unavailable: ${err.message.replace(/^Token /, "")}`,
        );
      }
      throw new IdTokenError(`id_token rejected: ${err.message.replace(/^Token /, "")}`);
    }
    throw err;
  }
  const text = (name: string) => {
    const value = claims[name];
    return typeof value === "string" && value.trim() ? value.trim() : undefined;
  };
  const tid = text("tid");
  const oid = text("oid");
  if (!tid || !/^[A-Za-z0-9-]{1,64}$/.test(tid)) throw new IdTokenError("id_token rejected: no valid tid claim");
  if (!oid) throw new IdTokenError("id_token rejected: no oid claim");
  if (text("iss") !== expectedIssuer(config, tid)) {
    throw new IdTokenError("id_token rejected: iss does not match the token's tenant");
  }
  if (isTenantId(tenant) && tenant.toLowerCase() !== tid.toLowerCase()) {
    throw new IdTokenError(`id_token rejected: issued for tenant ${tid}, expected ${tenant}`);
  }
  return {
    tenantId: tid.toLowerCase(),
    objectId: oid,
    name: text("name"),
    preferredUsername: text("preferred_username"),
    email: text("email"),
  } satisfies IdTokenIdentity;
}

/**
 * The `roles` claim of an access token Microsoft just issued to us over TLS (read, not verified: the token
 * is meant for Graph, which verifies it; we only learn from it which application permissions it carries).
 */
function tokenRoles(accessToken: string): string[] {
  try {
    const payload = accessToken.split(".")[1] ?? "";
    const claims = JSON.parse(new TextDecoder().decode(decodeBase64urlIgnorePadding(payload))) as { roles?: unknown };
    return Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === "string") : [];
  } catch {
    return [];
  }
}
