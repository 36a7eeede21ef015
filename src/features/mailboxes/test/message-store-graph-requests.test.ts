import { env } from "cloudflare:workers";
import { graphStats, testEnv } from "@test/helpers/mailbox-harness";
import { addAttachments, MB, mailboxWith, syncAll, syncItem } from "@test/helpers/message-store";
import { attachmentRows, messageRow } from "@test/helpers/rows";
import { describe, expect, it } from "vitest";
import { expandedAttachments } from "@/clients/graph/attachments";

/**
 * Graph requests per imported message: the import's message pages expand each message's
 * attachment list (`$expand=attachments($select=id,name,contentType,size,isInline)`), so a message with
 * attachments costs no list request of its own; only file bytes are fetched (small ones inline, large
 * ones through $value). What is recorded stays as before: stored files, skipped item/reference
 * attachments, the content id of an inline image. The fake Graph answers the expansion as Graph does:
 * `@odata.type` per attachment, no `contentBytes` when the nested $select leaves it out, 400 for a
 * property of fileAttachment (`contentId`) in it.
 */

const attachmentsOf = (org: string) => attachmentRows(org, "name, kind, state, content_id, is_inline");

/** A request to the fake Graph as the Worker makes it (the tenant's delegated token, immutable ids). */
async function graphGet(tenant: string, path: string) {
  const response = await fetch(`${testEnv.TEST_GRAPH_BASE_URL}${path}`, {
    headers: { authorization: `Bearer fake-graph:${tenant}`, prefer: 'IdType="ImmutableId"' },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("attachments listed with the message page", () => {
  it("the import makes no per-message attachment-list request and records every attachment as before", async () => {
    const h = await mailboxWith({ inbox: 4, sentitems: 2, body_html: '<p>See</p><img src="cid:logo@x">' });
    const [first, second, third] = h.messages.map((m) => m.id);
    const sent = h.messages.find((m) => m.folder === "sentitems")?.id ?? "";
    await addAttachments(h.email, first ?? "", [
      { name: "a-invoice.pdf", size: 30_000, content_type: "application/pdf" },
      { name: "b-logo.png", size: 2_000, content_type: "image/png", is_inline: true, content_id: "<logo@x>" },
    ]);
    await addAttachments(h.email, second ?? "", [{ name: "c-scan.tiff", size: 3 * MB }]);
    await addAttachments(h.email, third ?? "", [
      { name: "d-forwarded.eml", kind: "item", size: 4_000 },
      { name: "e-link", kind: "reference", size: 100 },
    ]);
    await addAttachments(h.email, sent, [{ name: "f-offer.docx", size: 12_000 }]);
    await syncAll(h, h.org, h.email);

    for (const m of h.messages) expect(await messageRow(h.org, m.id)).toMatchObject({ body_store: "r2" });
    expect(await attachmentsOf(h.org)).toEqual([
      { name: "a-invoice.pdf", kind: "file", state: "stored", content_id: null, is_inline: 0 },
      { name: "b-logo.png", kind: "file", state: "stored", content_id: "<logo@x>", is_inline: 1 },
      { name: "c-scan.tiff", kind: "file", state: "stored", content_id: null, is_inline: 0 },
      { name: "d-forwarded.eml", kind: "item", state: "skipped", content_id: null, is_inline: 0 },
      { name: "e-link", kind: "reference", state: "skipped", content_id: null, is_inline: 0 },
      { name: "f-offer.docx", kind: "file", state: "stored", content_id: null, is_inline: 0 },
    ]);
    const { requests } = (await graphStats(h.email)).stats;
    // One page per folder carried every list; the bytes: 3 small files inline, the 3 MB one via $value.
    expect(requests.attachments).toBeUndefined();
    expect(requests).toMatchObject({ page: 2, attachment: 3, attachment_value: 1 });
  });

  it("a retry reads the failed message with its attachment list: no list request either", async () => {
    const h = await mailboxWith({ inbox: 2 });
    const [bad, good] = h.messages.map((m) => m.id);
    await addAttachments(h.email, bad ?? "", [{ name: "broken.pdf", size: 4000, corrupt: "error" }]);
    await addAttachments(h.email, good ?? "", [{ name: "fine.pdf", size: 4000 }]);
    await syncAll(h, h.org, h.email);
    expect(await syncItem(h.org, bad ?? "")).toMatchObject({ status: "FAILED", attempts: 1 });

    const path = `/v2/outlook/mailbox/${encodeURIComponent(h.email)}/sync`;
    const status = await h.api<{ execution_id: string }>("GET", `${path}/status`, { org: h.org });
    const retry = await h.api("POST", `${path}/retry`, {
      org: h.org,
      body: { sync_id: status.body.execution_id, scope: "all_failed" },
    });
    expect(retry.status).toBe(202);
    await h.drain();
    // Still corrupt at Graph: a second counted attempt, from one message read and one attachment read.
    expect(await syncItem(h.org, bad ?? "")).toMatchObject({ status: "FAILED", attempts: 2 });
    const { requests } = (await graphStats(h.email)).stats;
    expect(requests.attachments).toBeUndefined();
    expect(requests).toMatchObject({ page: 2, message: 1, attachment: 3 });
  });

  it("the fake Graph expands attachments as Graph does", async () => {
    const h = await mailboxWith({ inbox: 1 });
    const id = h.messages[0]?.id ?? "";
    await addAttachments(h.email, id, [
      { name: "note.txt", size: 10, content_type: "text/plain", is_inline: true, content_id: "<n@x>" },
      { name: "fwd.eml", kind: "item", size: 300 },
      { name: "link", kind: "reference", size: 50 },
    ]);
    const user = `/users/${encodeURIComponent(h.email)}`;
    const page = await graphGet(
      h.tenant,
      `${user}/mailFolders/inbox/messages?$select=id,subject&$expand=attachments($select=id,name,contentType,size,isInline)`,
    );
    expect(page.status).toBe(200);
    const [message] = page.body.value as Record<string, unknown>[];
    expect(Object.keys(message ?? {}).sort()).toEqual(["attachments", "id", "subject"]);
    expect(message?.attachments).toEqual([
      expect.objectContaining({ "@odata.type": "#microsoft.graph.fileAttachment", name: "note.txt", isInline: true }),
      expect.objectContaining({ "@odata.type": "#microsoft.graph.itemAttachment", name: "fwd.eml", size: 300 }),
      expect.objectContaining({ "@odata.type": "#microsoft.graph.referenceAttachment", name: "link" }),
    ]);
    for (const a of (message?.attachments ?? []) as Record<string, unknown>[]) {
      expect(Object.keys(a).sort()).toEqual(["@odata.type", "contentType", "id", "isInline", "name", "size"]);
    }
    // Without a nested $select a file comes whole (contentBytes, contentId): the import never asks for that.
    const whole = await graphGet(h.tenant, `${user}/messages/${encodeURIComponent(id)}?$expand=attachments`);
    expect((whole.body.attachments as Record<string, unknown>[])[0]).toMatchObject({
      contentBytes: expect.any(String),
      contentId: "<n@x>",
    });
    // contentId belongs to fileAttachment, not to the base attachment type a nested $select is checked on.
    const bad = await graphGet(
      h.tenant,
      `${user}/mailFolders/inbox/messages?$expand=attachments($select=id,contentId)`,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "RequestBroker--ParseUri" });
    // None of these counted as an attachment-list request.
    expect((await graphStats(h.email)).stats.requests).toMatchObject({ page: 2, message: 1 });
  });

  it("a message without a whole expanded list (delta, or a list Graph cut short) is listed on its own", () => {
    const listed = [{ "@odata.type": "#microsoft.graph.fileAttachment", id: "a", size: 1 }];
    expect(expandedAttachments({ id: "m", attachments: listed })).toEqual(listed);
    expect(expandedAttachments({ id: "m", attachments: [] })).toEqual([]);
    expect(expandedAttachments({ id: "m" })).toBeNull();
    expect(expandedAttachments({ id: "m", attachments: listed, "attachments@odata.nextLink": "https://x" })).toBeNull();
  });
});
