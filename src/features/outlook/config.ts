import { ApiError } from "@/lib/errors";
import type { Services } from "@/lib/services";
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

export interface OutlookConfig {
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
  /** The id_token check: the clock skew and key fetch bound of the bearer token check. */
  clockSkewSeconds: number;
  jwksFetchTimeoutMs: number;
}

const REQUIRED = ["MS_CLIENT_ID", "MS_CLIENT_SECRET", "MS_REDIRECT_URI", ENCRYPTION_KEYS_VAR] as const;
type UrlVar = "MS_REDIRECT_URI" | "MS_LOGIN_BASE_URL" | "MS_GRAPH_BASE_URL" | "MS_GRAPH_RESOURCE";

/** An http(s) URL without its trailing slashes, or undefined when the value is not one. */
function httpUrl(raw: string): string | undefined {
  try {
    const parsed = new URL(raw);
    if (parsed.protocol === "https:" || parsed.protocol === "http:") return raw.replace(/(?<!\/)\/+$/, "");
  } catch {
    // not a URL
  }
  return undefined;
}

/**
 * The Outlook connection's settings (the Microsoft identity platform app and the token keys), read from
 * the services' config and token keys, or a 503 naming every missing or invalid var. Only the operations that talk to Microsoft
 * need them; listing and removing connections work without.
 */
export function outlookConfig(services: Pick<Services, "config" | "tokenKeys">): OutlookConfig {
  const { config } = services;
  const missing: string[] = REQUIRED.filter((name) => !config[name]);
  if (missing.length > 0) {
    throw new ApiError(
      503,
      `Microsoft 365 connection is not configured: set ${missing.join(", ")} (see README "Microsoft 365")`,
    );
  }
  const invalid: string[] = [];
  const url = (name: UrlVar) => {
    const value = httpUrl(config[name]);
    if (value === undefined) invalid.push(name);
    return value ?? "";
  };
  url("MS_REDIRECT_URI");
  const loginBaseUrl = url("MS_LOGIN_BASE_URL");
  const graphBaseUrl = url("MS_GRAPH_BASE_URL");
  // Optional: the scopes' resource when Graph is reached through another host (a proxy, a test stand-in).
  const graphResourceUrl = config.MS_GRAPH_RESOURCE ? url("MS_GRAPH_RESOURCE") : graphBaseUrl;
  if (!/^[A-Za-z0-9.-]{1,253}$/.test(config.MS_TENANT)) invalid.push("MS_TENANT");
  if (invalid.length > 0) {
    throw new ApiError(503, `Microsoft 365 connection is misconfigured: ${invalid.join(", ")} must be valid`);
  }
  return {
    clientId: config.MS_CLIENT_ID,
    // Trimmed as before the config module: a secret pasted with a trailing newline still works.
    clientSecret: (config.MS_CLIENT_SECRET as string).trim(),
    redirectUri: config.MS_REDIRECT_URI,
    loginBaseUrl,
    graphBaseUrl,
    graphResource: new URL(graphResourceUrl).origin,
    tenant: config.MS_TENANT,
    encryptionKeys: services.tokenKeys() as string,
    clockSkewSeconds: config.JWT_CLOCK_SKEW_SECONDS,
    jwksFetchTimeoutMs: config.JWKS_FETCH_TIMEOUT_MS,
  };
}
