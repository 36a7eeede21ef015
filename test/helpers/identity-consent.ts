import { expect } from "vitest";
import { MOCK, mockPost, testEnv } from "./outlook-flow";

/**
 * Talking to the identity platform stand-in (test/servers/oauth-server.ts) directly, as the Worker does:
 * the admin consent request of the code flow, code redemption with PKCE, client credentials, and the
 * application permissions (`app_roles`) a tenant has granted.
 */

export const GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/.default openid profile offline_access";

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");

/** A PKCE verifier and its S256 challenge. */
export async function pkcePair() {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return { verifier, challenge: base64url(new Uint8Array(digest)) };
}

/** `GET {login}/{segment}/oauth2/v2.0/authorize?...&prompt=admin_consent` as the API builds it. */
export function adminConsentAuthorizeUrl(
  segment: string,
  options: { challenge: string; state?: string; scope?: string; prompt?: string | null },
) {
  const url = new URL(`${MOCK}/${segment}/oauth2/v2.0/authorize`);
  url.searchParams.set("client_id", testEnv.MS_CLIENT_ID);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("redirect_uri", testEnv.MS_REDIRECT_URI);
  url.searchParams.set("response_mode", "query");
  url.searchParams.set("scope", options.scope ?? GRAPH_DEFAULT_SCOPE);
  if (options.prompt !== null) url.searchParams.set("prompt", options.prompt ?? "admin_consent");
  url.searchParams.set("state", options.state ?? "consent-state");
  url.searchParams.set("code_challenge", options.challenge);
  url.searchParams.set("code_challenge_method", "S256");
  return url.toString();
}

/** A token request at `{segment}/oauth2/v2.0/token` with the app's credentials (client_secret_post). */
export async function tokenRequest(segment: string, form: Record<string, string>) {
  const response = await fetch(`${MOCK}/${segment}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: testEnv.MS_CLIENT_ID,
      client_secret: String(testEnv.MS_CLIENT_SECRET),
      ...form,
    }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Redeems an authorization code for tokens (200 expected). */
export async function redeemCode(segment: string, code: string, verifier: string) {
  const answer = await tokenRequest(segment, {
    grant_type: "authorization_code",
    code,
    redirect_uri: testEnv.MS_REDIRECT_URI,
    code_verifier: verifier,
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body as { access_token: string; id_token: string; refresh_token: string; scope: string };
}

/** Client credentials for `tenant` (Graph's `.default` scope); the answer as the client sees it. */
export const clientCredentials = (tenant: string) =>
  tokenRequest(tenant, { grant_type: "client_credentials", scope: "https://graph.microsoft.com/.default" });

/** The (unverified) claims of a JWT. */
export function claimsOf(jwt: string): Record<string, unknown> {
  const payload = (jwt.split(".")[1] ?? "").replaceAll("-", "+").replaceAll("_", "/");
  return JSON.parse(atob(payload)) as Record<string, unknown>;
}

/** Grants (roles) or revokes ([]) application permissions outside the flows, as in the Azure portal. */
export const setAppRoles = (tenant: string, roles: string[]) => mockPost(`/__tenants/${tenant}`, { app_roles: roles });

/** The tenant's consent as the stand-in's admin API shows it. */
export async function tenantConsent(tenant: string) {
  const view = (await (await fetch(`${MOCK}/__tenants/${tenant}`)).json()) as Record<string, unknown>;
  return { consented: view.consented, app_roles: view.app_roles };
}
