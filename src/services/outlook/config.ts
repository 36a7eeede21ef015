import { configNumber } from "@/lib/config";
import { ApiError } from "@/lib/errors";
import type { AppEnv } from "@/lib/types";
import { ENCRYPTION_KEYS_VAR } from "@/shared/crypto/sealing";

/**
 * Delegated permissions the mailbox features need. `offline_access` yields the refresh token; the
 * OpenID scopes yield the id_token that tells who connected which tenant.
 */
export const OUTLOOK_SCOPES = [
  "offline_access",
  "openid",
  "profile",
  "email",
  "User.Read",
  "Mail.ReadWrite",
  "Mail.ReadWrite.Shared",
  "Mail.Send",
  "Mail.Send.Shared",
] as const;

/** OpenID Connect scopes: not Graph permissions, so never prefixed with the Graph resource. */
export const OIDC_SCOPES: ReadonlySet<string> = new Set(["offline_access", "openid", "profile", "email"]);

export interface MicrosoftConfig {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** e.g. `https://login.microsoftonline.com`, without a trailing slash. */
  loginBaseUrl: string;
  /** e.g. `https://graph.microsoft.com/v1.0`, without a trailing slash. */
  graphBaseUrl: string;
  /**
   * The Graph resource (application id URI) the delegated scopes name, e.g. `https://graph.microsoft.com`:
   * MS_GRAPH_RESOURCE, or else the origin of MS_GRAPH_BASE_URL.
   */
  graphResource: string;
  /** The tenant segment of the authorize/token URLs the connect flow starts with. */
  tenant: string;
  encryptionKeys: string;
  clockSkewSeconds: number;
}

const DEFAULTS = {
  MS_LOGIN_BASE_URL: "https://login.microsoftonline.com",
  MS_GRAPH_BASE_URL: "https://graph.microsoft.com/v1.0",
  MS_TENANT: "organizations",
} as const;

/**
 * The Microsoft identity platform settings, or a 503 naming every missing or invalid var. Only the
 * operations that talk to Microsoft need them; listing and removing connections work without.
 */
export function microsoftConfig(env: AppEnv): MicrosoftConfig {
  const value = (name: keyof AppEnv) => {
    const v = env[name];
    return typeof v === "string" ? v.trim() : "";
  };
  const required = ["MS_CLIENT_ID", "MS_CLIENT_SECRET", "MS_REDIRECT_URI", ENCRYPTION_KEYS_VAR] as const;
  const missing: string[] = required.filter((name) => !value(name));
  if (missing.length > 0) {
    throw new ApiError(
      503,
      `Microsoft 365 connection is not configured: set ${missing.join(", ")} (see README "Microsoft 365")`,
    );
  }
  const invalid: string[] = [];
  const url = (name: "MS_REDIRECT_URI" | "MS_LOGIN_BASE_URL" | "MS_GRAPH_BASE_URL" | "MS_GRAPH_RESOURCE") => {
    const raw = value(name) || (name === "MS_REDIRECT_URI" || name === "MS_GRAPH_RESOURCE" ? "" : DEFAULTS[name]);
    try {
      const parsed = new URL(raw);
      if (parsed.protocol === "https:" || parsed.protocol === "http:") return raw.replace(/(?<!\/)\/+$/, "");
    } catch {
      // reported below
    }
    invalid.push(name);
    return "";
  };
  const redirectUri = value("MS_REDIRECT_URI");
  url("MS_REDIRECT_URI");
  const loginBaseUrl = url("MS_LOGIN_BASE_URL");
  const graphBaseUrl = url("MS_GRAPH_BASE_URL");
  // Optional: the scopes' resource when Graph is reached through another host (a proxy, a test stand-in).
  const graphResourceUrl = value("MS_GRAPH_RESOURCE") ? url("MS_GRAPH_RESOURCE") : graphBaseUrl;
  const tenant = value("MS_TENANT") || DEFAULTS.MS_TENANT;
  if (!/^[A-Za-z0-9.-]{1,253}$/.test(tenant)) invalid.push("MS_TENANT");
  if (invalid.length > 0) {
    throw new ApiError(503, `Microsoft 365 connection is misconfigured: ${invalid.join(", ")} must be valid`);
  }
  return {
    clientId: value("MS_CLIENT_ID"),
    clientSecret: value("MS_CLIENT_SECRET"),
    redirectUri,
    loginBaseUrl,
    graphBaseUrl,
    graphResource: new URL(graphResourceUrl).origin,
    tenant,
    encryptionKeys: value(ENCRYPTION_KEYS_VAR),
    clockSkewSeconds: configNumber(value("JWT_CLOCK_SKEW_SECONDS"), 300),
  };
}
