import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type MutableRedirectUri,
  type MutableResponse,
  type MutableToken,
  OAuth2Issuer,
  OAuth2Service,
} from "oauth2-mock-server";
import {
  applyTenantSettings,
  newTenantState,
  type TenantState,
  type TokenRequestRecord,
  tenantView,
} from "./oauth-tenants";

/**
 * A stand-in for the Microsoft identity platform (v2.0 endpoints) on loopback, built on the
 * `oauth2-mock-server` package: the mock issues and signs the tokens (RS256, JWKS), checks PKCE and
 * answers the OAuth endpoints; this file maps Microsoft's tenant-scoped paths onto it and adds what
 * Microsoft does that the mock does not:
 *
 * - `/{tenant}/oauth2/v2.0/authorize|token`, `/{tenant}/discovery/v2.0/keys`, `/{tenant}/v2.0/adminconsent`;
 * - tokens shaped like Microsoft's (`tid`, `oid`, `name`, `preferred_username`, `iss` = `{base}/{tid}/v2.0`),
 *   via the mock's beforeTokenSigning hook; the signed-in user is picked with `login_hint`;
 * - checks and errors via the beforeAuthorizeRedirect / beforeResponse hooks: client authentication,
 *   single-use codes bound to their redirect URI, mandatory PKCE, refresh tokens that rotate and are
 *   spent on use (a reused one gets `invalid_grant`), tenants that require admin consent
 *   (`consent_required` / AADSTS65001), client credentials only for tenants with a service principal
 *   (`unauthorized_client` / AADSTS700016), and injected refresh errors (`invalid_grant`, `interaction_required`).
 *
 * Consent, as Microsoft tracks it per tenant: `consented` (the app has a service principal) and `app_roles`
 * (the application permissions granted to it).
 * - A user signing in (authorize without `prompt`) consents for themselves: service principal, no app roles.
 * - Admin consent through the code flow: authorize with `prompt=admin_consent`. Only an admin (`login_hint`
 *   names a user with `admin: true`) approves; anyone else gets `access_denied` / AADSTS90094. Approving
 *   creates the service principal even where `admin_consent_required` is set and, when the scope names a
 *   `{resource}/.default` scope, grants every application permission the app is configured with
 *   (`Mail.Read`); then the code flow goes on as usual (code, PKCE, id token with `tid`).
 * - `/{tenant}/v2.0/adminconsent` (the legacy admin consent endpoint): service principal only.
 * - Client credentials tokens carry the granted application permissions in `roles` (no claim while there
 *   are none: the token is issued but Graph refuses it on mailboxes).
 *
 * Test files share the server, so all state is per tenant (./oauth-tenants.ts) and tests use their own
 * random tenant ids.
 * Admin API (JSON): `POST /__users` {login, tid, oid, name, admin?}; `POST /__tenants/{tid}`
 * {admin_consent_required?, access_token_ttl?, refresh_error?, refresh_incomplete?, id_token_claims?, id_token_tamper?,
 * id_token_kid?, app_roles?} (`app_roles`: application permissions granted outside the flows, e.g. in the
 * Azure portal; a non-empty list creates the service principal too, `[]` revokes them; 400 unless a list of
 * strings); `GET /__tenants/{tid}` {admin_consent_required, consented, app_roles, counters, requests, issued}:
 * the tenant's consent, recorded token requests, counters and issued tokens.
 */

export const MS_TEST_CLIENT = {
  clientId: "6f1c2a8e-0c7b-4f6e-9d55-3b1f0e2a7c10",
  clientSecret: "test-client-secret-for-vitest-only",
  redirectUri: "https://api.test/v2/outlook/oauth/callback",
} as const;

interface MockUser {
  login: string;
  tid: string;
  oid: string;
  name: string;
  admin: boolean;
}

interface IssuedCode {
  user: MockUser;
  redirectUri: string;
  scope: string;
  challenge?: string;
  method?: string;
  used: boolean;
}

type MockRequest = IncomingMessage & {
  body?: Record<string, string>;
  query?: Record<string, string>;
  msTenant?: string;
  msUser?: MockUser;
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The application permissions the app registration asks for: what an admin's `.default` consent grants. */
const CONFIGURED_APP_ROLES = ["Mail.Read"];

/** `{resource}/.default` among the space-separated scopes: "every permission the app is configured with". */
const namesDefaultScope = (scope: string) => scope.split(" ").some((s) => s.endsWith("/.default"));

async function startMicrosoftMock(): Promise<{ url: string; server: Server }> {
  const issuer = new OAuth2Issuer();
  await issuer.keys.generate("RS256");
  const service = new OAuth2Service(issuer);

  const users = new Map<string, MockUser>();
  const tenants = new Map<string, TenantState>();
  const codes = new Map<string, IssuedCode>();
  const refreshTokens = new Map<string, { user: MockUser; spent: boolean }>();
  let base = "";

  const tenant = (tid: string): TenantState => {
    const key = tid.toLowerCase();
    let state = tenants.get(key);
    if (!state) {
      state = newTenantState();
      tenants.set(key, state);
    }
    return state;
  };

  /** Who a token request is about: the code's or refresh token's user. */
  const userOf = (body: Record<string, string> | undefined): MockUser | undefined => {
    if (!body) return undefined;
    if (body.grant_type === "authorization_code") return codes.get(body.code ?? "")?.user;
    if (body.grant_type === "refresh_token") return refreshTokens.get(body.refresh_token ?? "")?.user;
    return undefined;
  };

  // Tokens shaped like Microsoft's v2.0 tokens.
  service.on("beforeTokenSigning", (token: MutableToken, req: MockRequest) => {
    const body = req.body;
    const user = userOf(body);
    const tid = user?.tid ?? req.msTenant ?? "unknown";
    Object.assign(token.payload, { iss: `${base}/${tid}/v2.0`, tid, ver: "2.0" });
    if (body?.grant_type === "client_credentials") {
      // App-only: Microsoft lists the application permissions granted to the service principal.
      const roles = tenant(tid).appRoles;
      if (roles.length > 0) token.payload.roles = [...roles];
    }
    if (user) {
      Object.assign(token.payload, {
        oid: user.oid,
        sub: `sub-${user.oid}`,
        name: user.name,
        preferred_username: user.login,
      });
    }
    // The access token is for Graph; the id token (no scope claim) keeps aud = client id.
    if ("scope" in token.payload) token.payload.aud = "https://graph.microsoft.com";
    else if (user) {
      const t = tenant(user.tid);
      Object.assign(token.payload, t.idTokenClaims);
      if (t.idTokenKid) token.header.kid = t.idTokenKid;
    }
  });

  service.on("beforeAuthorizeRedirect", (redirect: MutableRedirectUri, req: MockRequest) => {
    const code = redirect.url.searchParams.get("code");
    const user = req.msUser;
    if (!code || !user) return;
    codes.set(code, {
      user,
      redirectUri: req.query?.redirect_uri ?? "",
      scope: req.query?.scope ?? "",
      challenge: req.query?.code_challenge,
      method: req.query?.code_challenge_method,
      used: false,
    });
  });

  service.on("beforeResponse", (response: MutableResponse, req: MockRequest) => {
    const body = req.body ?? {};
    // The mock's own token answer (a JSON object), which the checks below may replace with an error.
    const answer = response.body as Record<string, unknown>;
    const segment = req.msTenant ?? "";
    const grant = body.grant_type ?? "";
    const user = userOf(body);
    const tid = (user?.tid ?? segment).toLowerCase();
    const t = tenant(tid);
    const record: TokenRequestRecord = {
      grant_type: grant,
      tenant_segment: segment,
      client_auth: req.headers.authorization?.startsWith("Basic ") ? "basic" : body.client_secret ? "post" : "none",
      redirect_uri: body.redirect_uri,
      code_verifier: body.code_verifier,
      scope: body.scope,
      outcome: "ok",
    };
    t.requests.push(record);
    if (grant in t.counters) t.counters[grant as keyof TenantState["counters"]]++;
    const fail = (status: number, error: string, description: string) => {
      record.outcome = error;
      response.statusCode = status;
      response.body = {
        error,
        error_description: description,
        error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1])],
      };
    };

    const auth = clientCredentialsOf(req, body);
    if (auth.clientId !== MS_TEST_CLIENT.clientId || auth.secret !== MS_TEST_CLIENT.clientSecret) {
      return fail(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
    }
    if (grant === "authorization_code") {
      const issued = codes.get(body.code ?? "");
      if (!issued)
        return fail(400, "invalid_grant", "AADSTS9002313: Invalid request. Request is malformed or invalid.");
      record.code_challenge = issued.challenge;
      record.code_challenge_method = issued.method;
      if (issued.used)
        return fail(400, "invalid_grant", "AADSTS54005: OAuth2 Authorization code was already redeemed.");
      issued.used = true;
      if (body.redirect_uri !== issued.redirectUri) {
        return fail(400, "invalid_grant", "AADSTS50148: The redirect_uri does not match the authorization request.");
      }
      if (!issued.challenge || !body.code_verifier) {
        return fail(400, "invalid_grant", "AADSTS501481: The Code_Verifier does not match the code_challenge.");
      }
      // The mock itself has checked code_verifier against the challenge (400 otherwise).
      answer.scope = issued.scope;
    } else if (grant === "refresh_token") {
      const current = refreshTokens.get(body.refresh_token ?? "");
      if (!current)
        return fail(400, "invalid_grant", "AADSTS9002313: Invalid request. Request is malformed or invalid.");
      if (current.spent) {
        return fail(400, "invalid_grant", "AADSTS70000: The provided grant has already been used (test rotation).");
      }
      current.spent = true;
      if (t.refreshError) return fail(400, t.refreshError.error, t.refreshError.description);
      if (t.refreshIncomplete) {
        record.outcome = "incomplete";
        response.body = { token_type: "Bearer", scope: "Mail.ReadWrite" };
        return;
      }
    } else if (grant === "client_credentials") {
      if (!GUID.test(segment) || !tenant(segment).consented) {
        return fail(
          400,
          "unauthorized_client",
          `AADSTS700016: Application with identifier '${auth.clientId}' was not found in the directory '${segment}'.`,
        );
      }
      t.issued.access_tokens.push(String(answer.access_token));
      return;
    } else {
      return fail(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.");
    }

    // Success for a user: record what was issued, so tests can look for it in storage.
    answer.expires_in = t.accessTokenTtl;
    if (t.idTokenTamper) {
      // Another payload under the original signature.
      const [header, payload, signature] = String(answer.id_token).split(".");
      const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8"));
      claims.name = "Mallory";
      answer.id_token = [header, Buffer.from(JSON.stringify(claims)).toString("base64url"), signature].join(".");
    }
    const refreshToken = String(answer.refresh_token);
    if (user) refreshTokens.set(refreshToken, { user, spent: false });
    t.issued.access_tokens.push(String(answer.access_token));
    t.issued.refresh_tokens.push(refreshToken);
    t.issued.id_tokens.push(String(answer.id_token));
  });

  const server = createServer((req: MockRequest, res) => {
    handle(req, res).catch((err) => {
      res.writeHead(500, { "content-type": "text/plain" }).end(String(err));
    });
  });

  async function handle(req: MockRequest, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname.startsWith("/__")) return admin(req, res, url);
    const match =
      /^\/([^/]+)\/(oauth2\/v2\.0\/authorize|oauth2\/v2\.0\/token|discovery\/v2\.0\/keys|v2\.0\/adminconsent)$/.exec(
        url.pathname,
      );
    if (!match) return void res.writeHead(404).end();
    const segment = decodeURIComponent(match[1] as string);
    req.msTenant = segment;
    const route = match[2];
    if (route === "discovery/v2.0/keys") {
      req.url = "/jwks";
    } else if (route === "oauth2/v2.0/token") {
      req.url = "/token";
    } else if (route === "oauth2/v2.0/authorize") {
      const redirect = authorizeChecks(url, segment, req);
      if (redirect) return void res.writeHead(302, { location: redirect }).end();
      req.url = `/authorize${url.search}`;
    } else {
      return adminConsent(url, segment, res);
    }
    service.requestHandler(req, res);
  }

  /** Microsoft-side checks of an authorize request; answers an error redirect when one applies. */
  function authorizeChecks(url: URL, segment: string, req: MockRequest): string | undefined {
    const params = url.searchParams;
    const back = new URL(params.get("redirect_uri") ?? MS_TEST_CLIENT.redirectUri);
    const error = (code: string, description: string) => {
      back.searchParams.set("error", code);
      back.searchParams.set("error_description", description);
      const state = params.get("state");
      if (state) back.searchParams.set("state", state);
      return back.toString();
    };
    if (params.get("client_id") !== MS_TEST_CLIENT.clientId) {
      return error("unauthorized_client", "AADSTS700016: Application not found in the directory.");
    }
    if (params.get("code_challenge_method") !== "S256" || !params.get("code_challenge")) {
      return error("invalid_request", "AADSTS9002325: Proof Key for Code Exchange is required.");
    }
    const user = users.get((params.get("login_hint") ?? "").toLowerCase());
    if (!user) return error("access_denied", "AADSTS50034: The user account does not exist (test: send login_hint).");
    if (GUID.test(segment) && segment.toLowerCase() !== user.tid) {
      return error("invalid_request", "AADSTS50020: User account from identity provider does not exist in tenant.");
    }
    const t = tenant(user.tid);
    if (params.get("prompt") === "admin_consent") {
      if (!user.admin) return error("access_denied", "AADSTS90094: An administrator must grant permission.");
      // The admin consents for the whole tenant: that is what admin_consent_required waits for.
      t.consented = true;
      if (namesDefaultScope(params.get("scope") ?? "")) {
        t.appRoles = [...new Set([...t.appRoles, ...CONFIGURED_APP_ROLES])];
      }
    }
    if (t.adminConsentRequired && !t.consented) {
      return error(
        "consent_required",
        "AADSTS65001: The user or administrator has not consented to use the application. Send an interactive " +
          "authorization request for this user and resource.",
      );
    }
    t.consented = true; // user consent creates the service principal
    req.msUser = user;
    return undefined;
  }

  /**
   * `/{tenant}/v2.0/adminconsent`: the admin (login_hint) consents for their tenant. Kept as it was (service
   * principal only, no application permissions) for the callers that still use it.
   */
  function adminConsent(url: URL, segment: string, res: ServerResponse) {
    const params = url.searchParams;
    const back = new URL(params.get("redirect_uri") ?? MS_TEST_CLIENT.redirectUri);
    const state = params.get("state");
    if (state) back.searchParams.set("state", state);
    const user = users.get((params.get("login_hint") ?? "").toLowerCase());
    if (params.get("client_id") !== MS_TEST_CLIENT.clientId || !params.get("scope")) {
      back.searchParams.set("error", "invalid_request");
      back.searchParams.set("error_description", "AADSTS900144: The request body must contain client_id and scope.");
    } else if (!user?.admin || (GUID.test(segment) && segment.toLowerCase() !== user.tid)) {
      back.searchParams.set("error", "access_denied");
      back.searchParams.set("error_description", "AADSTS90094: An administrator must grant permission.");
    } else {
      tenant(user.tid).consented = true;
      back.searchParams.set("admin_consent", "True");
      back.searchParams.set("tenant", user.tid);
      back.searchParams.set("scope", params.get("scope") ?? "");
    }
    res.writeHead(302, { location: back.toString() }).end();
  }

  async function admin(req: IncomingMessage, res: ServerResponse, url: URL) {
    const json = (status: number, body: unknown) =>
      void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    const body = req.method === "POST" ? await readJson(req) : {};
    if (url.pathname === "/__users" && req.method === "POST") {
      const user: MockUser = {
        login: String(body.login).toLowerCase(),
        tid: String(body.tid).toLowerCase(),
        oid: String(body.oid),
        name: String(body.name),
        admin: body.admin === true,
      };
      users.set(user.login, user);
      return json(201, user);
    }
    const match = /^\/__tenants\/([^/]+)$/.exec(url.pathname);
    if (match) {
      const t = tenant(decodeURIComponent(match[1] as string));
      const problem = req.method === "POST" ? applyTenantSettings(t, body) : null;
      if (problem) return json(400, { error: problem });
      return json(200, tenantView(t));
    }
    return json(404, { error: "unknown admin path" });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  issuer.url = base;
  return { url: base, server };
}

function clientCredentialsOf(req: IncomingMessage, body: Record<string, string>) {
  const header = req.headers.authorization ?? "";
  if (header.startsWith("Basic ")) {
    const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
    const separator = decoded.indexOf(":");
    return {
      clientId: decodeURIComponent(decoded.slice(0, separator)),
      secret: decodeURIComponent(decoded.slice(separator + 1)),
    };
  }
  return { clientId: body.client_id, secret: body.client_secret };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** The Worker's Microsoft settings for the test run, pointing at the mock; fresh encryption keys. */
export async function microsoftTestBindings() {
  const mock = await startMicrosoftMock();
  const key = () => randomBytes(32).toString("base64");
  return {
    MS_LOGIN_BASE_URL: mock.url,
    MS_CLIENT_ID: MS_TEST_CLIENT.clientId,
    MS_CLIENT_SECRET: MS_TEST_CLIENT.clientSecret,
    MS_REDIRECT_URI: MS_TEST_CLIENT.redirectUri,
    TOKEN_ENCRYPTION_KEYS: `k2:${key()},k1:${key()}`,
    TEST_MS_ADMIN_URL: mock.url,
  };
}
