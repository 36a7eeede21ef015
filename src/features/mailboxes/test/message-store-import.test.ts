import { env } from "cloudflare:workers";
import { graphStats } from "@test/helpers/mailbox-harness";
import {
  addAttachments,
  download,
  getMessage,
  MB,
  mailboxWith,
  orgObjects,
  sha256Hex,
  syncAll,
  syncItem,
} from "@test/helpers/message-store";
import { attachmentRows, messageRow, messageRows } from "@test/helpers/rows";
import { describe, expect, it } from "vitest";

/**
 * The import stores each message's whole body and its attachments in the message store (R2,
 * MESSAGE_STORE) and only metadata in D1. Attachments of several sizes come from the fake Graph: small
 * ones inline (contentBytes), a 5 MB one streamed from $value, a 30 MB one over the 25 MB cap (skipped),
 * inline images with content ids, item and reference attachments (metadata only).
 */

const INLINE_BODY = '<p>Meter reading attached</p><img src="cid:meter@photo" alt="meter"><p>Thanks</p>';

const attachmentsOf = (org: string) =>
  attachmentRows(
    org,
    "id, name, content_type, size, content_id, is_inline, kind, state, skipped_reason, r2_key, sha256",
  );

describe("import into the message store", () => {
  it("stores whole bodies and every attachment; bytes read back equal the bytes Graph served", async () => {
    const h = await mailboxWith({ inbox: 1, body_html: INLINE_BODY });
    const graphId = h.messages[0]?.id ?? "";
    const served = await addAttachments(h.email, graphId, [
      { name: "invoice.pdf", size: 40_000, content_type: "application/pdf" },
      { name: "meter.jpg", size: 150_000, content_type: "image/jpeg", is_inline: true, content_id: "<meter@photo>" },
      { name: "contract.pdf", size: 5 * MB, content_type: "application/pdf" },
      { name: "video.mp4", size: 30 * MB, content_type: "video/mp4" },
      { name: "forwarded.eml", kind: "item", size: 3000 },
      { name: "shared-link", kind: "reference", size: 120 },
    ]);
    await syncAll(h, h.org, h.email);

    const row = await messageRow(h.org, graphId);
    // D1 keeps metadata only: no body, no sanitized copy.
    expect(row).toMatchObject({ body: null, body_sanitized: null, body_store: "r2", has_attachments: 1 });
    expect(row?.body_size).toBe(new TextEncoder().encode(INLINE_BODY).byteLength);

    const rows = await attachmentsOf(h.org);
    const byName = new Map(rows.map((r) => [r.name, r]));
    for (const name of ["invoice.pdf", "meter.jpg", "contract.pdf"]) {
      const fake = served.find((a) => a.name === name);
      expect(byName.get(name)).toMatchObject({ state: "stored", kind: "file", size: fake?.size, sha256: fake?.sha256 });
      // The object in the bucket holds exactly Graph's bytes.
      const object = await env.MESSAGE_STORE.get(String(byName.get(name)?.r2_key));
      expect(await sha256Hex(await (object as R2ObjectBody).arrayBuffer())).toBe(fake?.sha256);
    }
    expect(byName.get("meter.jpg")).toMatchObject({
      is_inline: 1,
      content_id: "<meter@photo>",
      content_type: "image/jpeg",
    });
    expect(byName.get("video.mp4")).toMatchObject({ state: "skipped", r2_key: null, sha256: null, size: 30 * MB });
    expect(String(byName.get("video.mp4")?.skipped_reason)).toMatch(/over the 26214400-byte limit/);
    expect(byName.get("forwarded.eml")).toMatchObject({ state: "skipped", kind: "item", r2_key: null });
    expect(byName.get("shared-link")).toMatchObject({ state: "skipped", kind: "reference", r2_key: null });

    // Through the API: the whole message, the cid: image pointing at its attachment, downloads that match.
    const message = await getMessage(h.api, h.org, String(row?.id));
    const meter = message.attachments.find((a) => a.name === "meter.jpg");
    expect(message.body.content).toContain(`<img src="${meter?.url}" alt="meter">`);
    expect(message.body.content).not.toContain("cid:");
    for (const a of message.attachments.filter((x) => x.state === "stored")) {
      const fetched = await download(h.org, String(a.url));
      expect(fetched.status).toBe(200);
      expect(await sha256Hex(fetched.bytes)).toBe(served.find((s) => s.name === a.name)?.sha256);
      expect(fetched.headers.get("content-length")).toBe(String(a.size));
    }
    // Listed with the message's page (no list request of its own); small ones came inline (one GET each),
    // the 5 MB one through $value; the 30 MB one was never fetched.
    const stats = (await graphStats(h.email)).stats.requests;
    expect(stats).toMatchObject({ attachment: 2, attachment_value: 1 });
    expect(stats.attachments).toBeUndefined();
  });

  it("stores a body longer than 65,536 characters whole", async () => {
    const h = await mailboxWith({ inbox: 1, body_chars: 150_000 });
    await syncAll(h, h.org, h.email);
    const row = await messageRow(h.org, h.messages[0]?.id ?? "");
    const message = await getMessage(h.api, h.org, String(row?.id));
    expect(message.body.truncated).toBe(false);
    expect(message.body.content?.length).toBeGreaterThan(150_000);
    expect(message.body.size).toBeGreaterThan(150_000);
  });

  it("redelivered tasks write nothing twice: same objects, same rows, no second download", async () => {
    const h = await mailboxWith({ inbox: 3 });
    const graphId = h.messages[0]?.id ?? "";
    await addAttachments(h.email, graphId, [
      { name: "a.pdf", size: 20_000 },
      { name: "big.bin", size: 2 * MB },
    ]);
    await syncAll(h, h.org, h.email);
    const objects = await orgObjects(h.org);
    const rows = await attachmentsOf(h.org);
    const requests = (await graphStats(h.email)).stats.requests;

    // Hand the same page task to the consumer again (at-least-once delivery), as a retry would.
    expect((await messageRows(h.org)).length).toBe(3);
    const again = await mailboxWithSameTask(h, graphId);
    expect(again).toBe("imported");
    expect(await orgObjects(h.org)).toEqual(objects);
    expect(await attachmentsOf(h.org)).toEqual(rows);
    const after = (await graphStats(h.email)).stats.requests;
    expect(after.attachment_value ?? 0).toBe(requests.attachment_value ?? 0);
    expect(after.attachment ?? 0).toBe(requests.attachment ?? 0);
    // Every object of the org is one of the message's bodies or attachments: 3 messages x 2 bodies + 2.
    expect(objects.size).toBe(3 * 2 + 2);
  });
});

/**
 * Delivers a `messages` task for the message again (retryMailboxSync's path is the same store step) by
 * running the sync a second time with redelivery: the import finds everything stored and writes nothing.
 */
async function mailboxWithSameTask(h: Awaited<ReturnType<typeof mailboxWith>>, graphId: string) {
  const start = await h.api("POST", `/v2/outlook/mailbox/${encodeURIComponent(h.email)}/sync`, {
    org: h.org,
    body: { timeframe: "1m" },
  });
  expect(start.status).toBe(202);
  await h.drain({ redeliver: true });
  const status = await h.api<{ status: string; inbox: { processed_messages: number; failed_messages: number } }>(
    "GET",
    `/v2/outlook/mailbox/${encodeURIComponent(h.email)}/sync/status`,
    { org: h.org },
  );
  // The second sync counted every message imported, and (ended) kept no IMPORTED item.
  const imported =
    status.body.status === "COMPLETED" &&
    status.body.inbox.failed_messages === 0 &&
    status.body.inbox.processed_messages === h.messages.length &&
    (await messageRow(h.org, graphId)) !== null &&
    (await syncItem(h.org, graphId)) === null;
  return imported ? "imported" : "not imported";
}
