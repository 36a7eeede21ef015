import { env } from "cloudflare:workers";
import { call, uniqueOrg } from "@test/helpers/api";
import { connectedMailbox } from "@test/helpers/fixtures";
import { allMessages, harness } from "@test/helpers/mailbox-harness";
import { seedLegacyMessage, servedBodies } from "@test/helpers/message-store";
import { messageRows } from "@test/helpers/rows";
import { unsafeParts } from "@test/helpers/xss-oracle";
import { describe, expect, it } from "vitest";
import { MAIL_SANITIZER_VERSION } from "@/db/message-store";
import { messagePrefix } from "@/db/message-store/keys";

/**
 * Mail HTML is sanitized once, when the sync imports it, and stored next to the original with the
 * sanitizer's version, both as objects of the message store (MESSAGE_STORE): getSharedInboxMessage serves
 * the stored copy while its version is current and sanitizes on read only rows without one (imported
 * before) or of another version; listSharedInboxMessages serves no body.
 * getSharedInboxMessageOriginalBody keeps serving the original.
 */

const HOSTILE =
  '<p>Dear customer,</p><script>alert(1)</script><img src="https://cdn.example/a.png" onerror="alert(2)">' +
  '<a href="javascript:alert(3)">x</a><a href="https://shop.example/">shop</a>';
const SANITIZED =
  '<p>Dear customer,</p><img src="https://cdn.example/a.png"><a>x</a>' +
  '<a href="https://shop.example/" target="_blank" rel="noopener noreferrer">shop</a>';

interface StoredRow {
  id: string;
  body: string | null;
  body_sanitized: string | null;
  body_sanitized_truncated: number;
  body_sanitizer_version: string | null;
}

/** The org's stored message rows (its mailboxes' objects, which keep no body columns, and D1), by id. */
async function storedRows(org: string): Promise<StoredRow[]> {
  return (await messageRows(org)).map(
    ({ id, body, body_sanitized, body_sanitized_truncated, body_sanitizer_version }) => ({
      id,
      body,
      body_sanitized,
      body_sanitized_truncated,
      body_sanitizer_version,
    }),
  );
}

/** The bodies getSharedInboxMessage serves, by id (the listing serves none: checked by `servedBodies`). */
const readBodies = (org: string) => servedBodies(call as never, org);

/** The message's objects in the message store (found through its row's Graph id). */
async function prefixOf(org: string, email: string, id: string) {
  const row = (await messageRows(org)).find((r) => r.id === id);
  return messagePrefix({ orgId: org, mailbox: email, graphId: row?.graph_id ?? "" });
}

async function storedObjects(org: string, email: string, id: string) {
  const prefix = await prefixOf(org, email, id);
  return {
    original: await env.MESSAGE_STORE.get(`${prefix}body.html`),
    sanitized: await env.MESSAGE_STORE.get(`${prefix}body.sanitized.html`),
  };
}

async function setStoredObject(org: string, email: string, id: string, html: string, version: string, truncated = "0") {
  await env.MESSAGE_STORE.put(`${await prefixOf(org, email, id)}body.sanitized.html`, html, {
    customMetadata: { sanitizer_version: version, truncated },
  });
}

describe("imported mail bodies: sanitized once at import", () => {
  it("a message imported through the sync has its sanitized body stored (in the message store) and served", async () => {
    const { api, drain } = harness();
    const { org, email } = await connectedMailbox(api, {
      spec: { inbox: 2, sentitems: 1, body_html: HOSTILE },
      connect: { mailboxSyncTimeframe: "1m" },
    });
    await drain();

    // D1 keeps the metadata only; the original and the sanitized copy are objects of the store.
    const rows = await storedRows(org);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row).toEqual({
        id: row.id,
        body: null,
        body_sanitized: null,
        body_sanitized_truncated: 0,
        body_sanitizer_version: null,
      });
      const objects = await storedObjects(org, email, row.id);
      expect(await objects.original?.text()).toBe(HOSTILE);
      expect(await objects.sanitized?.text()).toBe(SANITIZED);
      expect(objects.sanitized?.customMetadata).toMatchObject({
        sanitizer_version: MAIL_SANITIZER_VERSION,
        truncated: "0",
      });
    }
    const served = await allMessages(api, org);
    expect(served.map((m) => m.body)).toEqual(
      rows.map(() => ({ content_type: "html", content: null, truncated: false })),
    );
    const read = await readBodies(org);
    expect(served.map((m) => read.get(m.id))).toEqual(
      rows.map(() => ({ content_type: "html", content: SANITIZED, truncated: false })),
    );
    expect(served.flatMap((m) => unsafeParts(read.get(m.id)?.content ?? ""))).toEqual([]);

    // What is served is the stored copy (not sanitized again): a changed stored copy is what comes back...
    const [first, second] = rows;
    await setStoredObject(org, email, first?.id ?? "", "<p>the stored copy</p>", MAIL_SANITIZER_VERSION);
    expect((await readBodies(org)).get(first?.id ?? "")?.content).toBe("<p>the stored copy</p>");
    // ...until its version is not the current one: then the original is sanitized on read.
    await setStoredObject(org, email, second?.id ?? "", "<script>stale</script>", "mail-0-outdated");
    const bodies = await readBodies(org);
    expect(bodies.get(second?.id ?? "")).toEqual({ content_type: "html", content: SANITIZED, truncated: false });

    // The original-body route keeps serving the original.
    const original = await call(
      "GET",
      `/v2/email-settings/shared-inboxes/default/messages/${first?.id}/original-body`,
      {
        org,
      },
    );
    expect([original.status, original.body]).toEqual([200, HOSTILE]);
  });

  it("a stored copy the sanitizer cut is served flagged as truncated", async () => {
    const { api, drain } = harness();
    const { org, email } = await connectedMailbox(api, {
      spec: { inbox: 1, body_html: HOSTILE },
      connect: { mailboxSyncTimeframe: "1m" },
    });
    await drain();
    const [row] = await storedRows(org);
    await setStoredObject(org, email, row?.id ?? "", SANITIZED, MAIL_SANITIZER_VERSION, "1");
    expect((await readBodies(org)).get(row?.id ?? "")).toEqual({
      content_type: "html",
      content: SANITIZED,
      truncated: true,
    });
  });

  it("a row imported before (no stored sanitized body) is still served sanitized, and left as it is", async () => {
    const org = uniqueOrg();
    const id = await seedLegacyMessage(org, { mailbox: "old@contoso.test", body: HOSTILE });
    // The listing serves no body and leaves the row as it is...
    const listed = await allMessages(call as never, org);
    expect(listed.find((m) => m.id === id)?.body).toEqual({ content_type: "html", content: null, truncated: false });
    const [row] = await storedRows(org);
    expect(row).toMatchObject({ body: HOSTILE, body_sanitized: null, body_sanitizer_version: null });
    // ...and a read serves it sanitized (moving it into the message store, as any read of such a row does).
    expect((await readBodies(org)).get(id)).toEqual({ content_type: "html", content: SANITIZED, truncated: false });
  });
});
