import { env } from "cloudflare:workers";
import { expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { connectedMailbox, fakeMailbox } from "@test/helpers/fixtures";
import {
  ADMIN,
  allMessages,
  connect,
  connectTenant,
  graphStats,
  harness,
  uniqueMailbox,
  uniqueTenant,
} from "@test/helpers/mailbox-harness";
import { messageBuckets } from "@test/helpers/rows";
import { describe, expect, it } from "vitest";
import { EmailAddressResponseSchema } from "@/features/email-addresses/email-addresses.schemas";
import {
  ConnectedOutlookEmailsResponseSchema,
  DisconnectOutlookMailboxResponseSchema,
} from "@/features/mailboxes/mailboxes.schemas";
import { DisconnectOutlookResponseSchema } from "@/features/outlook/outlook.schemas";
import { SharedInboxResponseSchema } from "@/features/shared-inboxes/shared-inboxes.schemas";

/**
 * connectOutlookMailbox, getConnectedOutlookEmails and disconnectOutlookMailbox, and how mailboxes follow
 * a tenant's disconnect and an inbox's deletion. The Worker runs against the fake Graph
 * (test/servers/fake-graph.ts) with a capturing queue (test/helpers/mailbox-harness.ts).
 */

describe("connectOutlookMailbox / getConnectedOutlookEmails / disconnectOutlookMailbox", () => {
  it("connects a mailbox the tenant can open: the address entity in the inbox and the mapping", async () => {
    const { api } = harness();
    const { org, tenant, email } = await connectedMailbox(api, { connect: false });
    const inbox = expectBody(
      await api("POST", "/v2/email-settings/shared-inboxes", { org, body: { name: "Support", color: "#336699" } }),
      201,
      SharedInboxResponseSchema,
    );
    const body = await connect(api, org, email.toUpperCase(), { shared_inbox_id: inbox.id });
    expect(body).toMatchObject({ outlook_email: email, tenant_id: tenant, provider: "outlook" });
    expect(body.email_address).toMatchObject({ address: email, shared_inbox_id: inbox.id, is_active: true });

    const list = expectBody(
      await api("GET", "/v2/outlook/mailbox/mappings", { org }),
      200,
      ConnectedOutlookEmailsResponseSchema,
    );
    expect(list.count).toBe(1);
    expect(list.outlook_emails[0]).toMatchObject({ outlook_email: email, tenant_id: tenant, provider: "outlook" });
    expect(list.outlook_emails[0]?.connected_at).toBeTruthy();

    // Already connected: 409, nothing duplicated.
    expectError(await api("POST", "/v2/outlook/mailbox/connect", { org, body: { email } }), 409, /already connected/);
    const addresses = await api<unknown[]>("GET", "/v2/email-settings/email-addresses", { org });
    expect(addresses.body).toHaveLength(1);
    // Another org sees nothing.
    const other = expectBody(
      await api("GET", "/v2/outlook/mailbox/mappings", { org: uniqueOrg() }),
      200,
      ConnectedOutlookEmailsResponseSchema,
    );
    expect(other).toEqual({ outlook_emails: [], count: 0 });
  });

  it("reuses the org's existing email address entity instead of duplicating it", async () => {
    const { api } = harness();
    const { org, email } = await connectedMailbox(api, { connect: false });
    const existing = expectBody(
      await api("POST", "/v2/email-settings/email-addresses", { org, body: { address: email, name: "Sales" } }),
      201,
      EmailAddressResponseSchema,
    );
    const body = await connect(api, org, email);
    expect(body.email_address.id).toBe(existing.id);
    expect(body.email_address.name).toBe("Sales");
    const addresses = await api<unknown[]>("GET", "/v2/email-settings/email-addresses", { org });
    expect(addresses.body).toHaveLength(1);
  });

  it("refuses bad input, an unknown inbox and an org without a usable connection", async () => {
    const { api } = harness();
    const org = uniqueOrg();
    const email = uniqueMailbox();
    expectError(await api("POST", "/v2/outlook/mailbox/connect", { org, body: { email: "nope" } }), 400, /email/);
    expectError(await api("POST", "/v2/outlook/mailbox/connect", { org, body: {} }), 400, /email/);
    expectError(
      await api("POST", "/v2/outlook/mailbox/connect", { org, body: { email, mailboxSyncTimeframe: "3d" } }),
      400,
      /mailboxSyncTimeframe/,
    );
    expectError(
      await api("POST", "/v2/outlook/mailbox/connect", { org, body: { email, shared_inbox_id: "missing" } }),
      400,
      /shared_inbox_id/,
    );
    expectError(await api("POST", "/v2/outlook/mailbox/connect", { org, body: { email } }), 401, /Microsoft 365/);
  });

  it("answers 403 with what the admin must grant when no tenant can open the mailbox", async () => {
    const { api } = harness();
    const mailbox = await connectedMailbox(api, { spec: { access: "forbidden" }, connect: false });
    const [org, tenant, forbidden] = [mailbox.org, mailbox.tenant, mailbox.email];
    expectError(
      await api("POST", "/v2/outlook/mailbox/connect", { org, body: { email: forbidden } }),
      403,
      /Full Access/,
    );
    const { email: disabled } = await fakeMailbox({ tenant, spec: { access: "rest_disabled" } });
    expectError(
      await api("POST", "/v2/outlook/mailbox/connect", { org, body: { email: disabled } }),
      403,
      /MailboxNotEnabledForRESTAPI/,
    );
    // A mailbox of a tenant the org did not connect: Graph answers 404 to this tenant's token.
    const { email: foreign } = await fakeMailbox();
    expectError(await api("POST", "/v2/outlook/mailbox/connect", { org, body: { email: foreign } }), 403);
    const list = expectBody(
      await api("GET", "/v2/outlook/mailbox/mappings", { org }),
      200,
      ConnectedOutlookEmailsResponseSchema,
    );
    expect(list.count).toBe(0);
  });

  it("tries each connected tenant and maps the mailbox to the one that can open it", async () => {
    const { api } = harness();
    const org = uniqueOrg();
    const second = uniqueTenant();
    await connectTenant(org, uniqueTenant());
    const { email } = await connectedMailbox(api, { org, tenant: second, connect: false });
    const body = await connect(api, org, email);
    expect(body.tenant_id).toBe(second);
  });

  it("disconnects: address entity, mapping and the mailbox's Graph subscriptions go; 404 afterwards", async () => {
    const { api } = harness();
    const { org, email } = await connectedMailbox(api, { connect: false });
    const connected = await connect(api, org, email);
    await fetch(`${ADMIN}/__subscriptions`, {
      method: "POST",
      body: JSON.stringify({ resource: `users/${email}/mailFolders('inbox')/messages` }),
    });
    expect((await graphStats(email)).subscriptions).toHaveLength(1);

    const path = `/v2/outlook/mailbox/${encodeURIComponent(email)}/disconnect`;
    const body = expectBody(await api("POST", path, { org }), 200, DisconnectOutlookMailboxResponseSchema);
    expect(body).toEqual({ success: true, email });
    expect((await graphStats(email)).subscriptions).toHaveLength(0);
    expectError(await api("GET", `/v2/email-settings/email-addresses/${connected.email_address.id}`, { org }), 404);
    const list = expectBody(
      await api("GET", "/v2/outlook/mailbox/mappings", { org }),
      200,
      ConnectedOutlookEmailsResponseSchema,
    );
    expect(list.count).toBe(0);
    expectError(await api("POST", path, { org }), 404, /No Outlook mapping/);
    expectError(await api("POST", "/v2/outlook/mailbox/not-an-email/disconnect", { org }), 400);
  });
});

describe("mailboxes follow tenant disconnects and inbox deletions", () => {
  it("disconnectOutlook removes the tenant's mailboxes and reports their shared inboxes", async () => {
    const { api } = harness();
    const org = uniqueOrg();
    const inbox = expectBody(
      await api("POST", "/v2/email-settings/shared-inboxes", { org, body: { name: "Sales", color: "#123" } }),
      201,
      SharedInboxResponseSchema,
    );
    const sales = await connectedMailbox(api, { org, name: "sales", connect: { shared_inbox_id: inbox.id } });
    const [tenant, inSales] = [sales.tenant, sales.email];
    // Another mailbox of the tenant, in the default inbox.
    await connectedMailbox(api, { org, tenant, name: "info", connectTenant: false });
    const { email: elsewhere } = await connectedMailbox(api, { org, name: "other" });

    const body = expectBody(
      await api("POST", "/v2/outlook/connection/disconnect", { org, body: { tenant_id: tenant } }),
      200,
      DisconnectOutlookResponseSchema,
    );
    expect(body.success).toBe(true);
    expect([...body.affected_shared_inboxes].sort()).toEqual([inbox.id, "default"].sort());
    const mappings = expectBody(
      await api("GET", "/v2/outlook/mailbox/mappings", { org }),
      200,
      ConnectedOutlookEmailsResponseSchema,
    );
    expect(mappings.outlook_emails.map((m) => m.outlook_email)).toEqual([elsewhere]);
    expectError(await api("GET", `/v2/email-settings/email-addresses/${encodeURIComponent(inSales)}`, { org }), 404);
    expectError(
      await api("POST", "/v2/outlook/connection/disconnect", { org, body: { tenant_id: tenant } }),
      404,
      /No Microsoft 365 connection/,
    );
  });

  it("deleteSharedInbox moves mailbox mappings and imported mail to the successor", async () => {
    const { api, drain } = harness();
    const org = uniqueOrg();
    const createInbox = async (name: string) =>
      expectBody(
        await api("POST", "/v2/email-settings/shared-inboxes", { org, body: { name, color: "#abc" } }),
        201,
        SharedInboxResponseSchema,
      );
    const [first, successor] = [await createInbox("First line"), await createInbox("Second line")];
    const { email } = await connectedMailbox(api, {
      org,
      name: "support",
      spec: { inbox: 3, sentitems: 2 },
      connect: { shared_inbox_id: first.id, mailboxSyncTimeframe: "1m" },
    });
    await drain();
    expect(await allMessages(api, org, first.id)).toHaveLength(5);

    const path = `/v2/email-settings/shared-inboxes/${first.id}?successorInboxId=${successor.id}`;
    expect((await api("DELETE", path, { org })).status).toBe(204);
    expect(await allMessages(api, org, successor.id)).toHaveLength(5);
    const mappings = expectBody(
      await api("GET", "/v2/outlook/mailbox/mappings", { org }),
      200,
      ConnectedOutlookEmailsResponseSchema,
    );
    expect(mappings.outlook_emails.map((m) => m.outlook_email)).toEqual([email]);
    const row = await env.DB.prepare("SELECT shared_inbox_id FROM outlook_mailboxes WHERE org_id = ? AND email = ?")
      .bind(org, email)
      .first<{ shared_inbox_id: string }>();
    expect(row?.shared_inbox_id).toBe(successor.id);
    expect(await messageBuckets(org, email)).toEqual([successor.bucket_id]);
  });
});
