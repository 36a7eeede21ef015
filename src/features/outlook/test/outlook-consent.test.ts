import { expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { connectedMailbox } from "@test/helpers/fixtures";
import { startGraphRelay } from "@test/helpers/graph-relay";
import { setAppRoles } from "@test/helpers/identity-consent";
import { liveApi, liveStatus, PUBLIC_BASE_URL, waitFor } from "@test/helpers/live-harness";
import {
  connectTenant,
  type GraphSubscriptionView,
  graphMailbox,
  sendLifecycleEvent,
  setGraphTenant,
  uniqueTenant,
} from "@test/helpers/mailbox-harness";
import {
  browse,
  CALLBACK,
  CONNECT,
  expectOutlookError,
  FlowBrowser,
  MOCK,
  newTenant,
  newUser,
  rows,
  status,
  tenantReport,
  testEnv,
} from "@test/helpers/outlook-flow";
import { describe, expect, it } from "vitest";
import { servicesFor } from "@/entry/services";
import { AppOnlyTokenUnavailableError, getAppOnlyToken } from "@/features/outlook";
import { ConnectOutlookResponseSchema, OAuthCallbackResponseSchema } from "@/features/outlook/outlook.schemas";
import type { AppEnv } from "@/lib/types";

/**
 * Microsoft 365 consent: a tenant is attached, and its consent recorded, only on the proof of a signed
 * token (the id_token of a code exchange), never on a redirect's query; the application permission that
 * change notifications need is detected however it was granted; an administrator can grant it from the
 * API, and the tenant's mailboxes turn live by themselves when the administrator comes back; a revoked
 * grant sends them back to polling with a reason code.
 */

/** Notifications on, polls an hour away (only notifications could bring mail in quickly). */
const notificationApi = () => liveApi({ PUBLIC_BASE_URL, MAILBOX_POLL_INTERVAL_SECONDS: "3600" });

const LIVE_WITHIN_MS = 60_000;

async function connectionOf(org: string, tenant: string) {
  return (await status(org)).connections.find((c) => c.tenant_id === tenant);
}

describe("the application permission, however it was granted", { timeout: 90_000 }, () => {
  it("a tenant that granted it outside our flow (Azure portal) goes live on connect", async () => {
    const api = notificationApi();
    const tenant = uniqueTenant();
    await setAppRoles(tenant, ["Mail.Read"]);
    const relay = startGraphRelay({ tenants: [tenant] });
    try {
      const { org, email } = await connectedMailbox(api, { tenant });
      await waitFor("live", async () => (await liveStatus(api, org, email)).status === "live", LIVE_WITHIN_MS);
      const live = await liveStatus(api, org, email);
      expect(live).toMatchObject({ polling_reason: null, polling_reason_code: null });
      expect(await connectionOf(org, tenant)).toMatchObject({ app_permission: { status: "granted", detail: null } });
      // No consent flow of ours was involved.
      expect((await connectionOf(org, tenant))?.app_permission?.admin_consented_at).toBeNull();
    } finally {
      await relay.stop();
    }
  });

  it("the admin consent asked from the API turns a polling mailbox live; revoking it sends it back", async () => {
    const api = notificationApi();
    const tenant = uniqueTenant();
    const relay = startGraphRelay({ tenants: [tenant] });
    try {
      const { org, email } = await connectedMailbox(api, { tenant });
      await waitFor(
        "the set-up attempt",
        async () => (await liveStatus(api, org, email)).polling_reason_code !== "subscription_pending",
      );
      const polling = await liveStatus(api, org, email);
      expect(polling).toMatchObject({ status: "polling", polling_reason_code: "app_permission_missing" });
      expect(await connectionOf(org, tenant)).toMatchObject({ app_permission: { status: "missing" } });

      // The web app offers the admin consent: a URL for that tenant, bound to this browser.
      const browser = new FlowBrowser();
      const answer = await browser.call("GET", `${CONNECT}?admin_consent=true&tenant_id=${tenant}`, { org });
      const url = new URL(expectBody(answer, 200, ConnectOutlookResponseSchema.strict()).authorization_url);
      expect(`${url.origin}${url.pathname}`).toBe(`${MOCK}/${tenant}/oauth2/v2.0/authorize`);
      expect(url.searchParams.get("prompt")).toBe("admin_consent");

      // The tenant's administrator approves; Microsoft returns a code to the same browser.
      const admin = await newUser(tenant, { admin: true, name: "Tenant Admin" });
      const back = await browse(url.toString(), admin.login);
      const done = expectBody(await browser.callback(back), 200, OAuthCallbackResponseSchema.strict());
      expect(done).toEqual({ connected: true });

      // No other call: the mailbox switches to notifications by itself.
      await waitFor("live", async () => (await liveStatus(api, org, email)).status === "live", LIVE_WITHIN_MS);
      expect(await connectionOf(org, tenant)).toMatchObject({ app_permission: { status: "granted" } });
      expect((await connectionOf(org, tenant))?.app_permission?.admin_consented_at).toBeTruthy();

      // The grant is revoked (at Microsoft, and Graph enforces it); Graph asks for reauthorization.
      await setAppRoles(tenant, []);
      await setGraphTenant(tenant, { app_only_consent: false });
      const subscriptions = (await graphMailbox(email)).subscriptions as GraphSubscriptionView[];
      await sendLifecycleEvent(subscriptions[0]?.id ?? "", "reauthorizationRequired");
      await waitFor(
        "polling again",
        async () => (await liveStatus(api, org, email)).status === "polling",
        LIVE_WITHIN_MS,
      );
      const after = await liveStatus(api, org, email);
      expect(after.polling_reason_code).toBe("app_permission_missing");
      expect(after.polling_reason).toMatch(/Mail\.Read/);
      expect(await connectionOf(org, tenant)).toMatchObject({ app_permission: { status: "missing" } });
    } finally {
      await relay.stop();
    }
  });
});

describe("asking for the admin consent", () => {
  it("needs a tenant id, of a tenant the org connected and signed in to", async () => {
    const org = uniqueOrg();
    const browser = new FlowBrowser();
    expectError(await browser.call("GET", `${CONNECT}?admin_consent=true`, { org }), 400, /tenant_id: required/);
    expectError(await browser.call("GET", `${CONNECT}?admin_consent=true&tenant_id=nope`, { org }), 400, /tenant_id/);
    const unknown = uniqueTenant();
    expectError(
      await browser.call("GET", `${CONNECT}?admin_consent=true&tenant_id=${unknown}`, { org }),
      404,
      /not connected to this organization/,
    );
    expectError(
      await browser.call("GET", `${CONNECT}?tenant_id=${unknown}`, { org }),
      400,
      /only used with admin_consent/,
    );
  });

  it("another org's tenant is 404 like an unknown one", async () => {
    const tid = await newTenant();
    const owner = uniqueOrg();
    await new FlowBrowser().connectAs(owner, await newUser(tid));
    const other = uniqueOrg();
    const answer = await new FlowBrowser().call("GET", `${CONNECT}?admin_consent=true&tenant_id=${tid}`, {
      org: other,
    });
    expectError(answer, 404, /not connected to this organization/);
  });
});

describe("forged admin_consent redirects", () => {
  it("attach nothing and answer alike: on a sign-in state or an admin-consent state, naming a connected or a foreign tenant", async () => {
    const connected = await newTenant();
    const foreign = await newTenant();
    await new FlowBrowser().connectAs(uniqueOrg(), await newUser(foreign)); // `foreign` consented to the app elsewhere
    const org = uniqueOrg();
    const browser = new FlowBrowser();
    await browser.connectAs(org, await newUser(connected));
    const before = await rows(
      "SELECT tenant_id, status, admin_consented_at FROM outlook_connections WHERE org_id = ?",
      org,
    );

    const signInState = async () => new URL(await browser.authorizationUrl(org)).searchParams.get("state");
    const consentState = async () => {
      const response = await browser.call("GET", `${CONNECT}?admin_consent=true&tenant_id=${connected}`, { org });
      return new URL(expectBody(response, 200, ConnectOutlookResponseSchema).authorization_url).searchParams.get(
        "state",
      );
    };
    const answers: unknown[] = [];
    for (const state of [signInState, consentState]) {
      for (const tenant of [connected, foreign]) {
        const forged = await browser.callback(`${CALLBACK}?state=${await state()}&admin_consent=True&tenant=${tenant}`);
        answers.push({ status: forged.status, body: expectOutlookError(forged, 400, "invalid_request") });
      }
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(
      await rows("SELECT tenant_id, status, admin_consented_at FROM outlook_connections WHERE org_id = ?", org),
    ).toEqual(before);
    expect((await status(org)).connections.map((c) => c.tenant_id)).toEqual([connected]);
    // Microsoft was never asked about either tenant (no oracle).
    expect((await tenantReport(connected)).counters.client_credentials).toBe(0);
    expect((await tenantReport(foreign)).counters.client_credentials).toBe(0);
  });
});

describe("what a refusal means", { timeout: 90_000 }, () => {
  it("a mailbox an application access policy leaves out polls with mailbox_access_denied; the tenant stays granted", async () => {
    const api = notificationApi();
    const tenant = uniqueTenant();
    await setAppRoles(tenant, ["Mail.Read"]);
    const relay = startGraphRelay({ tenants: [tenant] });
    try {
      const { org, email: inside } = await connectedMailbox(api, { name: "inside", tenant });
      const { email: outside } = await connectedMailbox(api, {
        org,
        tenant,
        connectTenant: false,
        name: "outside",
        spec: { access: "app_only_denied" },
      });
      await waitFor(
        "the mailbox inside the policy live",
        async () => (await liveStatus(api, org, inside)).status === "live",
      );
      await waitFor(
        "the refusal of the mailbox outside",
        async () => (await liveStatus(api, org, outside)).polling_reason_code === "mailbox_access_denied",
      );
      expect((await liveStatus(api, org, outside)).polling_reason).toMatch(/application access policy/);
      expect((await liveStatus(api, org, inside)).status).toBe("live");
      expect(await connectionOf(org, tenant)).toMatchObject({ app_permission: { status: "granted" } });
    } finally {
      await relay.stop();
    }
  });

  it("our own credentials refused (an expired client secret) is not recorded as the tenant's missing permission", async () => {
    const tenant = uniqueTenant();
    await setAppRoles(tenant, ["Mail.Read"]);
    const org = uniqueOrg("secret");
    await connectTenant(org, tenant);
    const wrongSecret = { ...testEnv, MS_CLIENT_SECRET: "expired-secret" } as AppEnv;
    const refused = await getAppOnlyToken(servicesFor(wrongSecret), org, tenant).catch((err) => err);
    expect(refused).toBeInstanceOf(AppOnlyTokenUnavailableError);
    expect(refused.code).toBe("subscription_failed");
    expect(await connectionOf(org, tenant)).toMatchObject({ app_permission: { status: "unknown", checked_at: null } });
  });

  it("a check another org made for the same tenant is recorded on this org's connection too", async () => {
    const tenant = uniqueTenant();
    await setAppRoles(tenant, ["Mail.Read"]);
    const [first, second] = [uniqueOrg("first"), uniqueOrg("second")];
    await connectTenant(first, tenant);
    await connectTenant(second, tenant);
    await getAppOnlyToken(servicesFor(testEnv), first, tenant);
    const requests = (await tenantReport(tenant)).counters.client_credentials;
    await getAppOnlyToken(servicesFor(testEnv), second, tenant);
    expect((await tenantReport(tenant)).counters.client_credentials).toBe(requests);
    expect(await connectionOf(second, tenant)).toMatchObject({ app_permission: { status: "granted" } });
    // An org that did not connect the tenant gets no token.
    const stranger = await getAppOnlyToken(servicesFor(testEnv), uniqueOrg("stranger"), tenant).catch((err) => err);
    expect(stranger).toBeInstanceOf(AppOnlyTokenUnavailableError);
  });
});
