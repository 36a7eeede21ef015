import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import { type ApiResponse, call, expectBody, uniqueOrg } from "@test/helpers/api";
import {
  browse,
  CALLBACK,
  CONNECT,
  expectOutlookError,
  FLOW_COOKIE_NAME,
  FlowBrowser,
  flowCookiesOf,
  newTenant,
  newUser,
  rows,
  status,
  tenantReport,
} from "@test/helpers/outlook-flow";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConnectOutlookResponseSchema, OAuthCallbackResponseSchema } from "@/features/outlook/outlook.schemas";
import { hashState } from "@/features/outlook/secrets";

/**
 * Login CSRF / account linking: an attacker in org A calls connectOutlook and sends the
 * genuine Microsoft URL to a user of tenant V. Every connect flow is bound to the browser that started it
 * (an HttpOnly flow cookie whose SHA-256 is stored with the state), so the victim's sign-in in their own
 * browser connects nothing. The admin consent branch is bound the same way, and to its tenant.
 */

const hex = (secret: string) => encodeHexLowerCase(sha256(new TextEncoder().encode(secret)));
const randomSecret = () => encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
const stateOf = (url: string) => new URL(url, "https://api.test").searchParams.get("state") ?? "";

async function stateRow(state: string) {
  const [row] = await rows("SELECT * FROM outlook_oauth_states WHERE state_hash = ?", hashState(state));
  return row;
}

async function orgRows(org: string) {
  return {
    connections: await rows("SELECT * FROM outlook_connections WHERE org_id = ?", org),
    attempts: await rows("SELECT outcome, error, tenant_id FROM outlook_oauth_attempts WHERE org_id = ?", org),
  };
}

function expectMismatch(response: ApiResponse) {
  const body = expectOutlookError(response, 400, "browser_mismatch");
  expect(body.error_description).toMatch(/same browser you started from/);
  // The request proved nothing about this browser: its own flow cookie is left as it is.
  expect(flowCookiesOf(response)).toEqual([]);
}

/** An admin consent URL (403) for `org` in `browser`: the user's sign-in needs consent first. */
async function consentUrl(browser: FlowBrowser, org: string, tid: string) {
  const user = await newUser(tid);
  expectOutlookError(await browser.callback(await browse(await browser.authorizationUrl(org), user.login)), 403);
  return expectOutlookError(await browser.connect(org), 403, "consent_required").admin_consent_url ?? "";
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the flow cookie", () => {
  it("is a __Host- cookie set by connectOutlook HttpOnly, Secure, SameSite=Lax, Path=/, no Domain, for 10 minutes", async () => {
    const org = uniqueOrg();
    const response = await new FlowBrowser().connect(org);
    expect(response.status).toBe(200);
    const [cookie, ...more] = flowCookiesOf(response);
    expect(more).toEqual([]);
    expect(response.headers.getSetCookie()).toEqual([expect.stringMatching(/^__Host-outlook_connect=/)]);
    expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie?.attributes).toEqual({
      "max-age": "600",
      path: "/",
      httponly: "",
      secure: "",
      samesite: "Lax",
    });
    expect(response.headers.get("cache-control")).toBe("no-store");

    // Only its SHA-256 is stored, with the state; the secret itself is nowhere in D1.
    const row = await stateRow(stateOf((response.body as { authorization_url: string }).authorization_url));
    expect(row?.browser_binding_hash).toBe(hex(cookie?.value ?? ""));
    const dump = JSON.stringify(await rows("SELECT * FROM outlook_oauth_states"));
    expect(dump.includes(cookie?.value ?? "-")).toBe(false);
  });

  it("is set with the 403 admin consent answer too, which is bound to it", async () => {
    const org = uniqueOrg();
    const browser = new FlowBrowser();
    const url = await consentUrl(browser, org, await newTenant({ admin_consent_required: true }));
    expect(browser.flowCookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const response = await browser.connect(org);
    expectOutlookError(response, 403, "consent_required");
    expect(flowCookiesOf(response).map((c) => c.attributes)).toEqual([
      { "max-age": "600", path: "/", httponly: "", secure: "", samesite: "Lax" },
    ]);
    expect((await stateRow(stateOf(url)))?.browser_binding_hash).toBe(hex(browser.flowCookie ?? ""));
  });

  it("is reused for a second tab of the same org and user; both flows complete; the last one removes it", async () => {
    const org = uniqueOrg();
    const [t1, t2] = [await newTenant(), await newTenant()];
    const browser = new FlowBrowser();
    const first = await browser.authorizationUrl(org);
    const secret = browser.flowCookie;
    const second = await browser.authorizationUrl(org);
    expect(browser.flowCookie).toBe(secret);

    const done1 = await browser.callback(await browse(first, (await newUser(t1)).login));
    expectBody(done1, 200, OAuthCallbackResponseSchema.strict());
    // The second tab's flow is still in progress: the cookie stays (renewed), it is not removed.
    expect(flowCookiesOf(done1).map((c) => [c.value, c.attributes["max-age"]])).toEqual([[secret, "600"]]);

    const done2 = await browser.callback(await browse(second, (await newUser(t2)).login));
    expectBody(done2, 200, OAuthCallbackResponseSchema.strict());
    const [removed] = flowCookiesOf(done2);
    expect(removed).toMatchObject({ value: "", attributes: { "max-age": "0", path: "/", secure: "" } });
    expect(browser.flowCookie).toBeUndefined();
    expect((await status(org)).connections.map((c) => c.tenant_id).sort()).toEqual([t1, t2].sort());
  });

  it("is not reused when it belongs to another org's flow or was never handed out", async () => {
    const browser = new FlowBrowser();
    await browser.authorizationUrl(uniqueOrg("victim"));
    const victimSecret = browser.flowCookie;
    // The attacker presents the victim's secret (or one of their own choosing) to bind their flow to it.
    for (const planted of [victimSecret, randomSecret()]) {
      const attacker = new FlowBrowser();
      attacker.setFlowCookie(planted);
      const url = await attacker.authorizationUrl(uniqueOrg("attacker"));
      expect(attacker.flowCookie).not.toBe(planted);
      expect((await stateRow(stateOf(url)))?.browser_binding_hash).toBe(hex(attacker.flowCookie ?? ""));
    }
  });
});

describe("a flow cookie planted from a sibling subdomain", () => {
  it("is not read: only the __Host- name counts, which no other host can set", async () => {
    const attacker = new FlowBrowser();
    const url = await attacker.authorizationUrl(uniqueOrg("attacker"));
    const back = await browse(url, (await newUser(await newTenant())).login);
    // What `Set-Cookie: __Secure-outlook_connect=...; Domain=<parent>` from a sibling host leaves in a browser.
    const planted = {
      cookie: `__Secure-outlook_connect=${attacker.flowCookie}; outlook_connect=${attacker.flowCookie}`,
    };
    expectMismatch(await call("GET", back, { token: null, headers: planted }));
    expect((await stateRow(stateOf(url)))?.used_at).toBeNull();
    expectBody(await attacker.callback(back), 200, OAuthCallbackResponseSchema.strict());
  });
});

describe("a Microsoft link completed in another browser", () => {
  it("does not connect the attacker's org to the victim's tenant, and leaves the flow usable", async () => {
    const warn = vi.spyOn(console, "warn");
    const attackerOrg = uniqueOrg("attacker");
    const attacker = new FlowBrowser();
    const url = await attacker.authorizationUrl(attackerOrg);
    const victimTenant = await newTenant();
    const victim = await newUser(victimTenant);
    const before = await orgRows(attackerOrg);

    // The victim signs in at Microsoft; the redirect lands in the victim's browser: no cookie, the
    // cookie of the victim's own flow with another org, or a forged one.
    const back = await browse(url, victim.login);
    const withOwnFlow = new FlowBrowser();
    const ownUrl = await withOwnFlow.authorizationUrl(uniqueOrg("victim"));
    const forged = new FlowBrowser();
    forged.setFlowCookie(randomSecret());
    for (const browser of [new FlowBrowser(), withOwnFlow, forged]) expectMismatch(await browser.callback(back));

    expect(await status(attackerOrg)).toEqual({ connections: [], has_connections: false });
    expect(await orgRows(attackerOrg)).toEqual(before);
    expect((await stateRow(stateOf(url)))?.used_at).toBeNull();
    expect((await tenantReport(victimTenant)).counters.authorization_code).toBe(0);
    const logged = warn.mock.calls.map((args) => String(args[0])).join("\n");
    expect(logged).toContain('"event":"outlook_connect_browser_mismatch"');
    expect(logged.includes(stateOf(url))).toBe(false);

    // The victim's own flow was not disturbed by the refused request.
    expectBody(await withOwnFlow.callback(await browse(ownUrl, victim.login)), 200, OAuthCallbackResponseSchema);
    // Only the browser that started the flow can complete it (the state was not spent).
    expectBody(await attacker.callback(back), 200, OAuthCallbackResponseSchema);
  });

  it("cannot record a forged Microsoft error in the org (which would switch connect to admin consent)", async () => {
    const org = uniqueOrg();
    const state = stateOf(await new FlowBrowser().authorizationUrl(org));
    const forged = `${CALLBACK}?state=${state}&error=consent_required&error_description=AADSTS65001`;
    expectMismatch(await new FlowBrowser().callback(forged));
    expect((await orgRows(org)).attempts).toEqual([{ outcome: "pending", error: null, tenant_id: "organizations" }]);
    expectBody(await new FlowBrowser().connect(org), 200, ConnectOutlookResponseSchema.strict());
  });

  it("refuses a state stored before the binding existed (no cookie hash)", async () => {
    const org = uniqueOrg();
    const browser = new FlowBrowser();
    const url = await browser.authorizationUrl(org);
    await rows(
      "UPDATE outlook_oauth_states SET browser_binding_hash = NULL WHERE state_hash = ?",
      hashState(stateOf(url)),
    );
    expectMismatch(await browser.callback(await browse(url, (await newUser(await newTenant())).login)));
    expect((await status(org)).connections).toEqual([]);
  });
});

describe("admin consent", () => {
  it("opened in another browser is refused and creates nothing; the starting browser completes it", async () => {
    const org = uniqueOrg();
    const tid = await newTenant({ admin_consent_required: true });
    const browser = new FlowBrowser();
    const url = await consentUrl(browser, org, tid);
    const back = await browse(url, (await newUser(tid, { admin: true })).login);
    const before = await orgRows(org);

    // The admin opens the consent link in their own browser: no cookie, a forged one, or one of a flow
    // of their own (another org).
    const forged = new FlowBrowser();
    forged.setFlowCookie(randomSecret());
    const withOwnFlow = new FlowBrowser();
    await withOwnFlow.authorizationUrl(uniqueOrg());
    for (const other of [new FlowBrowser(), forged, withOwnFlow]) expectMismatch(await other.callback(back));
    expect(await orgRows(org)).toEqual(before);
    expect((await tenantReport(tid)).counters.client_credentials).toBe(0);
    expect((await stateRow(stateOf(url)))?.used_at).toBeNull();

    expect(expectBody(await browser.callback(back), 200, OAuthCallbackResponseSchema.strict())).toEqual({
      connected: false,
    });
    expect((await stateRow(stateOf(url)))?.used_at).not.toBeNull();
    // The consent is no longer missing for this org: connect offers the sign-in again.
    expect(
      expectBody(await browser.connect(org), 200, ConnectOutlookResponseSchema.strict()).authorization_url,
    ).toMatch(/prompt=select_account/);
  });

  it("cannot turn another tenant's id into a connection without the binding", async () => {
    // Tenant V has consented to the app (a user connected it elsewhere), so client credentials work there.
    const victimTenant = await newTenant();
    await new FlowBrowser().connectAs(uniqueOrg("victim"), await newUser(victimTenant));
    const attackerOrg = uniqueOrg("attacker");
    const url = await consentUrl(new FlowBrowser(), attackerOrg, await newTenant({ admin_consent_required: true }));
    const forged = `${CALLBACK}?state=${stateOf(url)}&admin_consent=True&tenant=${victimTenant}`;

    expectMismatch(await new FlowBrowser().callback(forged));
    expect(await status(attackerOrg)).toEqual({ connections: [], has_connections: false });
    expect((await tenantReport(victimTenant)).counters.client_credentials).toBe(0);
  });

  it("for a consent URL issued for one tenant, a forged redirect naming another creates nothing", async () => {
    const tid = await newTenant({ admin_consent_required: true });
    const other = await newTenant();
    await new FlowBrowser().connectAs(uniqueOrg(), await newUser(other)); // `other` has consented to the app
    const org = uniqueOrg();
    const browser = new FlowBrowser();
    const env = { MS_TENANT: tid };
    const user = await newUser(tid);
    const url = expectOutlookError(
      await browser.callback(await browse(await authorizeUrlFor(browser, org, env), user.login)),
      403,
      "consent_required",
    ).admin_consent_url;
    const consent = new URL(url ?? "");
    expect(consent.pathname).toBe(`/${tid}/oauth2/v2.0/authorize`);
    expect((await stateRow(stateOf(consent.toString())))?.tenant_id).toBe(tid);

    const forged = `${CALLBACK}?state=${stateOf(consent.toString())}&admin_consent=True&tenant=${other}`;
    const body = expectOutlookError(await browser.callback(forged), 400, "invalid_request");
    expect(body.error_description).toMatch(/confirmed only by the sign-in code/);
    expect(await status(org)).toEqual({ connections: [], has_connections: false });
    expect((await tenantReport(other)).counters.client_credentials).toBe(0);
  });
});

async function authorizeUrlFor(browser: FlowBrowser, org: string, env: Record<string, string>) {
  const response = await browser.call<{ authorization_url: string }>("GET", CONNECT, { org, env });
  expect(response.status).toBe(200);
  return response.body.authorization_url;
}

describe("the served document", () => {
  it("tells the web app to call connectOutlook with credentials and to open the callback in that browser", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: the served OpenAPI document, read as plain JSON
    const doc = (await call<Record<string, any>>("GET", "/openapi.json", { token: null })).body;
    const connect = doc.paths["/v2/outlook/connect"].get;
    expect(connect.description).toContain('credentials: "include"');
    expect(connect.description).toContain(FLOW_COOKIE_NAME);
    expect(Object.keys(connect.responses["200"].headers ?? {})).toEqual(["Set-Cookie"]);
    expect(doc.paths["/v2/outlook/oauth/callback"].get.description).toMatch(
      /same browser that called `connectOutlook`/,
    );
  });
});
