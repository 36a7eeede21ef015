import { env } from "cloudflare:workers";
import { call, uniqueOrg } from "@test/helpers/api";
import { connectedMailbox } from "@test/helpers/fixtures";
import { listedIds, liveApi, waitFor } from "@test/helpers/live-harness";
import { addGraphMessage, deleteGraphMessage, graphStats, updateGraphMessage } from "@test/helpers/mailbox-harness";
import {
  addAttachments,
  bucketObjects,
  getMessage,
  mailboxWith,
  orgObjects,
  seedLegacyMessage,
  syncAll,
} from "@test/helpers/message-store";
import { attachmentRows } from "@test/helpers/rows";
import { describe, expect, it } from "vitest";
import { messagePrefix, orgPrefix } from "@/db/message-store/keys";
import { servicesFor } from "@/entry/services";
import { purgeOrgMail } from "@/features/mailboxes/purge";
import { lockStub } from "@/features/mailboxes/sync/lock-stub";
import type { AppEnv } from "@/lib/types";

/**
 * Existing rows keep working and nothing is orphaned. A body still in D1 (imported before the
 * message store) is served and moved to the store when it is read, with no moment without it; a message
 * live sync sees deleted loses its objects and attachment rows; removing an org's mailbox data removes
 * every object of it (the bucket is listed).
 */

const LEGACY_HTML = '<p>Old mail</p><script>alert(1)</script><img src="cid:x@y">';

const seedLegacy = (org: string) =>
  seedLegacyMessage(org, { mailbox: "legacy@contoso.test", body: LEGACY_HTML, truncated: true });

const bodyColumns = (id: string) =>
  env.DB.prepare("SELECT body, body_store, body_size, body_truncated FROM imported_messages WHERE id = ?")
    .bind(id)
    .first<{ body: string | null; body_store: string | null; body_size: number | null; body_truncated: number }>();

describe("bodies stored in D1 before the message store", () => {
  it("are listed as before, and moved to the store when the message is read", async () => {
    const org = uniqueOrg("legacy");
    const id = await seedLegacy(org);
    // The listing serves no body (getSharedInboxMessage does), so it leaves the body where it is.
    const listed = await call<{ messages: { id: string; body: { content: string | null } }[] }>(
      "GET",
      "/v2/email-settings/shared-inboxes/default/messages",
      { org },
    );
    expect(listed.body.messages.map((m) => [m.id, m.body.content])).toEqual([[id, null]]);
    expect(await bodyColumns(id)).toMatchObject({ body: LEGACY_HTML, body_store: null });

    const message = await getMessage(call as never, org, id);
    expect(message.body).toMatchObject({ content: '<p>Old mail</p><img src="cid:x@y">', truncated: true });
    // Moved: the row points at the store, its D1 copy is gone, and the store holds the same bytes.
    expect(await bodyColumns(id)).toEqual({
      body: null,
      body_store: "r2",
      body_size: LEGACY_HTML.length,
      body_truncated: 1,
    });
    const prefix = await messagePrefix({ orgId: org, mailbox: "legacy@contoso.test", graphId: `graph-${id}` });
    expect(await (await env.MESSAGE_STORE.get(`${prefix}body.html`))?.text()).toBe(LEGACY_HTML);
    // Everything still reads the same afterwards.
    const again = await call<{ messages: { id: string; body: { content: string | null } }[] }>(
      "GET",
      "/v2/email-settings/shared-inboxes/default/messages",
      { org },
    );
    expect(again.body.messages.map((m) => [m.id, m.body.content])).toEqual([[id, null]]);
    expect((await getMessage(call as never, org, id)).body).toMatchObject({
      content: '<p>Old mail</p><img src="cid:x@y">',
      truncated: true,
    });
    const original = await call("GET", `/v2/email-settings/shared-inboxes/default/messages/${id}/original-body`, {
      org,
    });
    expect([original.status, original.body]).toEqual([200, LEGACY_HTML]);
  });

  it("getSharedInboxMessageOriginalBody moves a D1 body too, serving it unchanged", async () => {
    const org = uniqueOrg("legacy");
    const id = await seedLegacy(org);
    const original = await call("GET", `/v2/email-settings/shared-inboxes/default/messages/${id}/original-body`, {
      org,
    });
    expect([original.status, original.body]).toEqual([200, LEGACY_HTML]);
    expect(await bodyColumns(id)).toMatchObject({ body: null, body_store: "r2" });
  });
});

describe("deletion leaves nothing in the bucket", () => {
  it("a message live sync sees deleted loses its objects and attachment rows", { timeout: 40_000 }, async () => {
    const api = liveApi();
    const { org, email } = await connectedMailbox(api);
    const message = await addGraphMessage(email, { folder: "inbox", subject: "with an invoice" });
    await addAttachments(email, message.id, [{ name: "invoice.pdf", size: 30_000 }]);
    // A change after the attachment was added: live sync imports the message with it.
    await updateGraphMessage(email, message.id, { subject: "with an invoice (updated)" });
    const prefix = await messagePrefix({ orgId: org, mailbox: email, graphId: message.id });
    await waitFor("the attachment", async () => (await bucketObjects(prefix)).size === 3, 15_000);
    // Delta takes no $expand: live sync lists a message's attachments with a request of their own.
    expect((await graphStats(email)).stats.requests.attachments).toBeGreaterThanOrEqual(1);

    await deleteGraphMessage(email, message.id);
    await waitFor("the deletion", async () => !(await listedIds(api, org)).includes(message.id), 15_000);
    // The tombstone is written first (so nothing listed points at a missing object), the objects go right
    // after it, in the same run: wait for that run to end rather than racing it.
    await waitFor("the objects' removal", async () => (await orgObjects(org)).size === 0, 15_000);
    expect([...(await orgObjects(org)).keys()]).toEqual([]);
    expect(await attachmentRows(org, "name")).toEqual([]);
  });

  it("removing an org's mailbox data removes every object of it, and only of it", async () => {
    const h = await mailboxWith({ inbox: 3, sentitems: 2 });
    await addAttachments(h.email, h.messages[0]?.id ?? "", [{ name: "a.pdf", size: 10_000 }]);
    await syncAll(h, h.org, h.email);
    const other = await mailboxWith({ inbox: 1 });
    await syncAll(other, other.org, other.email);
    expect((await orgObjects(h.org)).size).toBe(5 * 2 + 1);

    expect(await purgeOrgMail(servicesFor(env as unknown as AppEnv), h.org)).toEqual({
      messages: 5,
      objects: 11,
    });
    expect([...(await bucketObjects(orgPrefix(h.org))).keys()]).toEqual([]);
    const left = await env.DB.prepare(
      "SELECT (SELECT count(*) FROM imported_messages WHERE org_id = ?1) AS m, (SELECT count(*) FROM message_attachments WHERE org_id = ?1) AS a",
    )
      .bind(h.org)
      .first<{ m: number; a: number }>();
    expect(left).toEqual({ m: 0, a: 0 });
    const owner = { orgId: h.org, mailbox: h.email };
    expect(await lockStub(servicesFor(env as unknown as AppEnv), h.org, h.email).messageCounts(owner)).toEqual({
      listed: 0,
      tombstones: 0,
    });
    // The other org's mail is untouched.
    expect((await orgObjects(other.org)).size).toBe(2);
  });
});
