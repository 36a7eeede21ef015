import { type JwtVerifierConfig, TokenError } from "@/clients/identity/jwt";
import type { AppConfig } from "@/lib/config";
import { ApiError, forbidden, unauthorized } from "@/lib/errors";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import type { AuthContext } from "@/lib/types";
import { verifyBearerToken } from "./verified-tokens";

/**
 * Claim names. `org_id` / `user_id` are ours; the `custom:ivy_*` ones come from epilot's Cognito pool.
 * `shared_org_ids` lists further orgs the caller may act for through `x-epilot-org-id`.
 * Internal service tokens carry `token_use: "service"` and may pick any org through `x-ivy-org-id`.
 */
export const CLAIMS = {
  org: ["org_id", "custom:ivy_organization_id"],
  user: ["user_id", "custom:ivy_user_id", "sub"],
  sharedOrgs: "shared_org_ids",
  tokenUse: "token_use",
  internalServiceTokenUse: "service",
} as const;

/** Hosts a Worker run by `wrangler dev` / `npm start` is reached at; a deployed Worker never sees them. */
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

/**
 * The verifier settings for a request to `requestUrl`. HS256 with `JWT_DEV_SECRET` is local development
 * only: it is honoured only when no JWKS is configured and the Worker is reached at a loopback host.
 */
export function verifierConfig(services: Pick<Services, "config">, requestUrl: string | URL): JwtVerifierConfig {
  const { config } = services;
  return {
    jwksUrl: config.JWT_JWKS_URL || undefined,
    issuer: config.JWT_ISSUER || undefined,
    audience: config.JWT_AUDIENCE || undefined,
    algorithms: config.JWT_ALGORITHMS.filter((a) => a === "RS256" || a === "ES256"),
    clockSkewSeconds: config.JWT_CLOCK_SKEW_SECONDS,
    jwksCacheTtlSeconds: config.JWKS_CACHE_TTL_SECONDS,
    jwksFetchTimeoutMs: config.JWKS_FETCH_TIMEOUT_MS,
    maxTokenLifetimeSeconds: config.JWT_MAX_TOKEN_LIFETIME_SECONDS,
    devSecret: localDevSecret(config, new URL(requestUrl)),
  };
}

const warned = new Set<string>();

/** Logs `event` once per isolate: a misconfiguration is reported without flooding the logs. */
function warnOnce(event: string, fields: Record<string, unknown>) {
  if (warned.has(event)) return;
  warned.add(event);
  logEvent("warn", event, fields);
}

function localDevSecret(config: AppConfig, url: URL): string | undefined {
  const secret = config.JWT_DEV_SECRET;
  if (!secret) return undefined;
  if (!isLoopbackHost(url.hostname)) {
    warnOnce("jwt_dev_secret_on_non_local_deployment", {
      host: url.hostname,
      message:
        "SECURITY: JWT_DEV_SECRET is set on a non-local deployment. HS256 tokens are refused here; remove the " +
        "secret (wrangler secret delete JWT_DEV_SECRET) - it is for `npm start` on localhost only.",
    });
    return undefined;
  }
  if (config.JWT_JWKS_URL) {
    warnOnce("jwt_dev_secret_ignored", {
      message: "JWT_DEV_SECRET is ignored because JWT_JWKS_URL is set: HS256 tokens are refused.",
    });
    return undefined;
  }
  return secret;
}

/** With a JWKS configured, tokens of any issuer or for any API would pass: both must be pinned. */
function requireIssuerAndAudience(config: JwtVerifierConfig) {
  if (!config.jwksUrl) return;
  const missing = [!config.issuer && "JWT_ISSUER", !config.audience && "JWT_AUDIENCE"].filter(Boolean);
  if (missing.length === 0) return;
  const names = missing.length === 2 ? "JWT_ISSUER and JWT_AUDIENCE are" : `${missing[0]} is`;
  throw new ApiError(
    503,
    `Authentication is unavailable: JWT_JWKS_URL is set but ${names} empty; set them to the identity ` +
      "provider's issuer and this API's audience",
  );
}

export async function authenticate(
  authorization: string | undefined,
  headers: { epilotOrgId?: string; ivyOrgId?: string },
  services: Pick<Services, "config">,
  /** The request's URL: its host decides whether development tokens may be honoured. */
  requestUrl: string | URL,
): Promise<AuthContext> {
  const config = verifierConfig(services, requestUrl);
  requireIssuerAndAudience(config);
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match?.[1]) {
    throw unauthorized("Missing bearer token: send Authorization: Bearer <JWT>");
  }
  let claims: Record<string, unknown>;
  try {
    claims = await verifyBearerToken(match[1], config);
  } catch (err) {
    if (err instanceof TokenError) {
      if (err.misconfigured) throw new ApiError(503, `Authentication is unavailable: ${err.message}`);
      throw unauthorized(`Invalid bearer token: ${err.message}`);
    }
    throw err;
  }
  return resolveOrgContext(claims, headers);
}

export function resolveOrgContext(
  claims: Record<string, unknown>,
  headers: { epilotOrgId?: string; ivyOrgId?: string },
): AuthContext {
  const tokenOrgId = firstString(claims, CLAIMS.org);
  const userId = firstString(claims, CLAIMS.user);
  const isInternalService = claims[CLAIMS.tokenUse] === CLAIMS.internalServiceTokenUse;

  let orgId = tokenOrgId;
  const ivyOrgId = headers.ivyOrgId?.trim();
  const epilotOrgId = headers.epilotOrgId?.trim();
  // x-ivy-org-id is for service-to-service calls only; on user tokens it is ignored on purpose.
  if (isInternalService && ivyOrgId) {
    orgId = ivyOrgId;
  } else if (epilotOrgId && epilotOrgId !== tokenOrgId) {
    if (!sharedOrgIds(claims).includes(epilotOrgId)) {
      throw forbidden(`This token does not grant access to organization ${epilotOrgId} (x-epilot-org-id)`);
    }
    orgId = epilotOrgId;
  }
  if (!orgId) {
    throw forbidden("The token names no organization (org_id or custom:ivy_organization_id claim)");
  }
  return { orgId, userId, tokenOrgId, isInternalService };
}

function sharedOrgIds(claims: Record<string, unknown>): string[] {
  const value = claims[CLAIMS.sharedOrgs];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  if (typeof value === "string")
    return value
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean);
  return [];
}

function firstString(claims: Record<string, unknown>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = claims[name];
    if (typeof value === "string" && value.trim()) return value.trim();
    if (typeof value === "number") return String(value);
  }
  return undefined;
}
