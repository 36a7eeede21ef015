import { configNumber } from "@/lib/config";
import { ApiError, forbidden, unauthorized } from "@/lib/errors";
import type { AppEnv } from "@/lib/types";
import { type JwtVerifierConfig, TokenError, verifyJwt } from "./jwt";

/** Who is calling and for which organization; every query is scoped by `orgId`. */
export interface AuthContext {
  orgId: string;
  userId: string | undefined;
  /** The org the token itself names, before any `x-epilot-org-id` / `x-ivy-org-id` switch. */
  tokenOrgId: string | undefined;
  isInternalService: boolean;
}

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

export function verifierConfig(env: AppEnv): JwtVerifierConfig {
  return {
    jwksUrl: env.JWT_JWKS_URL || undefined,
    issuer: env.JWT_ISSUER || undefined,
    audience: env.JWT_AUDIENCE || undefined,
    algorithms: (env.JWT_ALGORITHMS || "RS256,ES256")
      .split(",")
      .map((a) => a.trim())
      .filter((a) => a === "RS256" || a === "ES256"),
    clockSkewSeconds: configNumber(env.JWT_CLOCK_SKEW_SECONDS, 60),
    jwksCacheTtlSeconds: configNumber(env.JWKS_CACHE_TTL_SECONDS, 600),
    devSecret: env.JWT_DEV_SECRET || undefined,
  };
}

export async function authenticate(
  authorization: string | undefined,
  headers: { epilotOrgId?: string; ivyOrgId?: string },
  env: AppEnv,
): Promise<AuthContext> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match?.[1]) {
    throw unauthorized("Missing bearer token: send Authorization: Bearer <JWT>");
  }
  let claims: Record<string, unknown>;
  try {
    claims = await verifyJwt(match[1], verifierConfig(env));
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
