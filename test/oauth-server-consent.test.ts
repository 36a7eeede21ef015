import { describe, expect, it } from "vitest";
import { fakeMailbox } from "./helpers/fixtures";
import {
  adminConsentAuthorizeUrl,
  claimsOf,
  clientCredentials,
  GRAPH_DEFAULT_SCOPE,
  pkcePair,
  redeemCode,
  setAppRoles,
  tenantConsent,
} from "./helpers/identity-consent";
import { appOnlyToken, ADMIN as GRAPH_ADMIN, testEnv as graphEnv, setAppOnlyConsent } from "./helpers/mailbox-harness";
import { browse, MOCK, newTenant, newUser, testEnv } from "./helpers/outlook-flow";

/**
 * Consent at the two stand-ins, as a client sees it: admin consent through the authorize endpoint
 * (`prompt=admin_consent`) at the identity platform (test/servers/oauth-server.ts), the application
 * permissions it grants in client credentials tokens' `roles`, and the fake Graph
 * (test/servers/fake-graph/access.ts) letting app-only callers reach mailboxes by those roles.
 */

const GRAPH = graphEnv.TEST_GRAPH_BASE_URL;
const NO_SERVICE_PRINCIPAL = { status: 400, error: "unauthorized_client", code: 700016 };

/** The query of Microsoft's redirect back to the app. */
const queryOf = (back: string) => Object.fromEntries(new URL(back, "https://api.test").searchParams);

/** Opens the admin consent request as `login`; answers the redirect's query and the PKCE verifier. */
async function askAdminConsent(segment: string, login: string, options: { scope?: string; prompt?: null } = {}) {
  const { verifier, challenge } = await pkcePair();
  const back = await browse(adminConsentAuthorizeUrl(segment, { challenge, ...options }), login);
  return { query: queryOf(back), verifier };
}

async function expectCredentialsRefused(tenant: string) {
  const refused = await clientCredentials(tenant);
  expect(refused.status).toBe(NO_SERVICE_PRINCIPAL.status);
  expect(refused.body).toMatchObject({
    error: NO_SERVICE_PRINCIPAL.error,
    error_codes: [NO_SERVICE_PRINCIPAL.code],
  });
}

/** A client credentials access token for `tenant` (expects 200). */
async function appToken(tenant: string) {
  const answer = await clientCredentials(tenant);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return String(answer.body.access_token);
}

/** A fresh tenant whose admin consented through the authorize endpoint with Graph's `.default` scope. */
async function adminConsentedTenant() {
  const tid = await newTenant();
  const admin = await newUser(tid, { admin: true });
  const { query } = await askAdminConsent("organizations", admin.login);
  expect(query.code).toBeTruthy();
  return tid;
}

async function userConsentedTenant() {
  const tid = await newTenant();
  const user = await newUser(tid);
  const { query } = await askAdminConsent(tid, user.login, { scope: "Mail.Read openid", prompt: null });
  expect(query.code).toBeTruthy();
  return tid;
}

/** Inbox messages of `email` with `token`: Graph's status and error code. */
async function readInbox(email: string, token: string) {
  const response = await fetch(`${GRAPH}/users/${encodeURIComponent(email)}/mailFolders/inbox/messages`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await response.json()) as { value?: unknown[]; error?: { code: string } };
  return { status: response.status, code: body.error?.code, messages: body.value?.length };
}

async function mailboxOf(tenant: string) {
  return (await fakeMailbox({ name: "consent", tenant, spec: { inbox: 2 } })).email;
}

describe("identity stand-in: admin consent through the authorize endpoint", () => {
  it("an admin approving .default gets a code despite admin_consent_required; the tenant grants Mail.Read", async () => {
    const tid = await newTenant({ admin_consent_required: true });
    const admin = await newUser(tid, { admin: true });
    const { query, verifier } = await askAdminConsent("organizations", admin.login);
    expect(query).toMatchObject({ state: "consent-state" });
    expect(query.error).toBeUndefined();
    expect(await tenantConsent(tid)).toEqual({ consented: true, app_roles: ["Mail.Read"] });

    const tokens = await redeemCode("organizations", String(query.code), verifier);
    expect(tokens.scope).toBe(GRAPH_DEFAULT_SCOPE);
    expect(claimsOf(tokens.id_token)).toMatchObject({
      tid,
      oid: admin.oid,
      preferred_username: admin.login,
      aud: testEnv.MS_CLIENT_ID,
    });
  });

  it("a user who is no admin gets access_denied (AADSTS90094) and the tenant grants nothing", async () => {
    const tid = await newTenant();
    const user = await newUser(tid);
    const { query } = await askAdminConsent(tid, user.login);
    expect(query).toMatchObject({ error: "access_denied", state: "consent-state" });
    expect(query.error_description).toMatch(/^AADSTS90094: An administrator must grant permission/);
    expect(query.code).toBeUndefined();
    expect(await tenantConsent(tid)).toEqual({ consented: false, app_roles: [] });
    await expectCredentialsRefused(tid);
  });

  it("an admin of another tenant named by its GUID is refused (AADSTS50020); neither tenant grants anything", async () => {
    const tid = await newTenant();
    const otherTid = await newTenant();
    const admin = await newUser(otherTid, { admin: true });
    const { query } = await askAdminConsent(tid, admin.login);
    expect(query.error).toBe("invalid_request");
    expect(query.error_description).toMatch(/^AADSTS50020:/);
    expect(await tenantConsent(tid)).toEqual({ consented: false, app_roles: [] });
    expect(await tenantConsent(otherTid)).toEqual({ consented: false, app_roles: [] });
  });

  it("admin consent to named scopes only (no .default) creates the service principal without app roles", async () => {
    const tid = await newTenant({ admin_consent_required: true });
    const admin = await newUser(tid, { admin: true });
    const { query } = await askAdminConsent(tid, admin.login, { scope: "Mail.Read openid offline_access" });
    expect(query.code).toBeTruthy();
    expect(await tenantConsent(tid)).toEqual({ consented: true, app_roles: [] });
  });

  it("a user's own sign-in (no prompt) consents for the user: service principal, no app roles", async () => {
    const tid = await userConsentedTenant();
    expect(await tenantConsent(tid)).toEqual({ consented: true, app_roles: [] });
  });

  it("the legacy adminconsent endpoint still creates the service principal only", async () => {
    const tid = await newTenant();
    const admin = await newUser(tid, { admin: true });
    const url = new URL(`${MOCK}/${tid}/v2.0/adminconsent`);
    url.searchParams.set("client_id", testEnv.MS_CLIENT_ID);
    url.searchParams.set("redirect_uri", testEnv.MS_REDIRECT_URI);
    url.searchParams.set("scope", "https://graph.microsoft.com/.default");
    expect(queryOf(await browse(url.toString(), admin.login))).toMatchObject({ admin_consent: "True", tenant: tid });
    expect(await tenantConsent(tid)).toEqual({ consented: true, app_roles: [] });
  });
});

describe("identity stand-in: client credentials carry the granted application permissions", () => {
  it("after admin consent the app-only token lists Mail.Read in roles and names no user", async () => {
    const tid = await adminConsentedTenant();
    const claims = claimsOf(await appToken(tid));
    expect(claims).toMatchObject({ tid, roles: ["Mail.Read"], aud: "https://graph.microsoft.com" });
    expect(claims.scp).toBeUndefined();
    expect(claims.preferred_username).toBeUndefined();
  });

  it("where only users consented, client credentials succeed but the token carries no roles", async () => {
    const tid = await userConsentedTenant();
    const claims = claimsOf(await appToken(tid));
    expect(claims.tid).toBe(tid);
    expect(claims).not.toHaveProperty("roles");
  });

  it("without a service principal, client credentials are unauthorized_client (AADSTS700016)", async () => {
    await expectCredentialsRefused(await newTenant());
  });

  it("app_roles grants (creating the service principal) and revokes application permissions", async () => {
    const tid = await newTenant();
    expect(await setAppRoles(tid, ["Mail.ReadWrite"])).toMatchObject({
      consented: true,
      app_roles: ["Mail.ReadWrite"],
    });
    expect(claimsOf(await appToken(tid)).roles).toEqual(["Mail.ReadWrite"]);

    expect(await setAppRoles(tid, [])).toMatchObject({ consented: true, app_roles: [] });
    expect(claimsOf(await appToken(tid))).not.toHaveProperty("roles");
  });

  it("app_roles that is not a list of strings is 400 and changes nothing", async () => {
    const tid = await newTenant();
    const response = await fetch(`${MOCK}/__tenants/${tid}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ app_roles: "Mail.Read", admin_consent_required: true }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "app_roles must be a list of strings" });
    const view = (await (await fetch(`${MOCK}/__tenants/${tid}`)).json()) as Record<string, unknown>;
    expect(view).toMatchObject({ admin_consent_required: false, consented: false, app_roles: [] });
  });
});

describe("fake Graph: app-only callers reach mailboxes by their roles unless the tenant's app_only_consent is set", () => {
  it("a token with Mail.Read reads the mailbox; a token without roles is 403 ErrorAccessDenied", async () => {
    const granted = await adminConsentedTenant();
    expect(await readInbox(await mailboxOf(granted), await appToken(granted))).toEqual({
      status: 200,
      code: undefined,
      messages: 2,
    });

    const usersOnly = await userConsentedTenant();
    const email = await mailboxOf(usersOnly);
    const token = await appToken(usersOnly);
    expect(await readInbox(email, token)).toMatchObject({ status: 403, code: "ErrorAccessDenied" });
    const subscribe = await fetch(`${GRAPH}/subscriptions`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        changeType: "created",
        resource: `users/${email}/mailFolders('inbox')/messages`,
        notificationUrl: "https://hooks.test/graph/notifications",
        expirationDateTime: new Date(Date.now() + 3_600_000).toISOString(),
      }),
    });
    expect(subscribe.status).toBe(403);
    expect(((await subscribe.json()) as { error: { code: string } }).error.code).toBe("ErrorAccessDenied");
  });

  it("Mail.ReadWrite is enough; an application permission for something else is not", async () => {
    const tid = await newTenant();
    const email = await mailboxOf(tid);
    await setAppRoles(tid, ["User.Read.All"]);
    expect(await readInbox(email, await appToken(tid))).toMatchObject({ status: 403, code: "ErrorAccessDenied" });
    await setAppRoles(tid, ["User.Read.All", "Mail.ReadWrite"]);
    expect(await readInbox(email, await appToken(tid))).toMatchObject({ status: 200, messages: 2 });
  });

  it("app_only_consent false refuses even Mail.Read; true allows any app-only token; null hands back to the token", async () => {
    const tid = await adminConsentedTenant();
    const email = await mailboxOf(tid);
    const token = await appToken(tid);
    expect(await setAppOnlyConsent(tid, false)).toEqual({ app_only_consent: false, min_expiration_minutes: 45 });
    expect(await readInbox(email, token)).toMatchObject({ status: 403, code: "ErrorAccessDenied" });

    await setAppRoles(tid, []);
    const withoutRoles = await appToken(tid);
    await setAppOnlyConsent(tid, true);
    expect(await readInbox(email, withoutRoles)).toMatchObject({ status: 200, messages: 2 });
    expect(await readInbox(email, appOnlyToken(tid))).toMatchObject({ status: 200, messages: 2 });

    const reset = await fetch(`${GRAPH_ADMIN}/__tenants/${tid}`, {
      method: "POST",
      body: JSON.stringify({ app_only_consent: null }),
    });
    expect(await reset.json()).toEqual({ app_only_consent: null, min_expiration_minutes: 45 });
    expect(await readInbox(email, token)).toMatchObject({ status: 200, messages: 2 });
    expect(await readInbox(email, withoutRoles)).toMatchObject({ status: 403, code: "ErrorAccessDenied" });
    expect(await readInbox(email, appOnlyToken(tid))).toMatchObject({ status: 403, code: "ErrorAccessDenied" });
  });

  it("the tenant admin view starts at null and refuses an app_only_consent that is not true, false or null", async () => {
    const tid = await newTenant();
    const admin = `${GRAPH_ADMIN}/__tenants/${tid}`;
    expect(await (await fetch(admin)).json()).toEqual({ app_only_consent: null, min_expiration_minutes: 45 });
    const bad = await fetch(admin, { method: "POST", body: JSON.stringify({ app_only_consent: "yes" }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "app_only_consent must be true, false or null" });
    expect(await (await fetch(admin)).json()).toEqual({ app_only_consent: null, min_expiration_minutes: 45 });
  });
});
