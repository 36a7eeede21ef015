import { call, expectError, uniqueOrg } from "@test/helpers/api";
import {
  addAttachments,
  download,
  getMessage,
  MB,
  mailboxWith,
  messagePath,
  sha256Hex,
  syncAll,
} from "@test/helpers/message-store";
import { messageRow } from "@test/helpers/rows";
import { describe, expect, it } from "vitest";
import { attachmentDisposition } from "@/features/shared-inbox-messages/disposition";
import { parseRange } from "@/features/shared-inbox-messages/range";

/**
 * getSharedInboxMessage and getSharedInboxMessageAttachment: downloads stream from the bucket
 * with their exact length, are never rendered (attachment disposition with a safe filename, nosniff,
 * sandbox), answer one HTTP range with 206 and an unsatisfiable one with 416; another org's ids are 404.
 */

async function importedWithAttachment(name: string, size: number, contentType = "application/pdf") {
  const h = await mailboxWith({ inbox: 1 });
  const graphId = h.messages[0]?.id ?? "";
  const [served] = await addAttachments(h.email, graphId, [{ name, size, content_type: contentType }]);
  await syncAll(h, h.org, h.email);
  const row = await messageRow(h.org, graphId);
  const message = await getMessage(h.api, h.org, String(row?.id));
  const attachment = message.attachments[0];
  return { ...h, message, attachment, served, url: String(attachment?.url) };
}

describe("getSharedInboxMessageAttachment", () => {
  it("streams the whole attachment with its length, a safe disposition and nosniff", async () => {
    const t = await importedWithAttachment('Rechnung "März" 2026/../;evil.pdf', 5 * MB);
    const whole = await download(t.org, t.url);
    expect(whole.status).toBe(200);
    expect(whole.bytes.byteLength).toBe(5 * MB);
    expect(await sha256Hex(whole.bytes)).toBe(t.served?.sha256);
    expect(
      Object.fromEntries(
        ["content-length", "content-type", "x-content-type-options", "accept-ranges"].map((h) => [
          h,
          whole.headers.get(h),
        ]),
      ),
    ).toEqual({
      "content-length": String(5 * MB),
      "content-type": "application/pdf",
      "x-content-type-options": "nosniff",
      "accept-ranges": "bytes",
    });
    expect(whole.headers.get("content-security-policy")).toBe("sandbox");
    expect(whole.headers.get("content-disposition")).toBe(
      `attachment; filename="Rechnung _M_rz_ 2026_..__evil.pdf"; filename*=UTF-8''Rechnung%20%22M%C3%A4rz%22%202026_.._%3Bevil.pdf`,
    );
  });

  it("answers ranges with 206 and Content-Range, and 416 past the end", async () => {
    const t = await importedWithAttachment("scan.bin", 300_000, "application/octet-stream");
    const whole = await download(t.org, t.url);
    const cases: [string, number, number][] = [
      ["bytes=0-99", 0, 100],
      ["bytes=299990-", 299_990, 10],
      ["bytes=-16", 300_000 - 16, 16],
      ["bytes=1000-999999999", 1000, 299_000],
    ];
    for (const [range, offset, length] of cases) {
      const part = await download(t.org, t.url, { range });
      expect(part.status, range).toBe(206);
      expect(part.headers.get("content-range")).toBe(`bytes ${offset}-${offset + length - 1}/300000`);
      expect(part.headers.get("content-length")).toBe(String(length));
      expect(part.bytes).toEqual(whole.bytes.slice(offset, offset + length));
    }
    const past = await download(t.org, t.url, { range: "bytes=300000-" });
    expect(past.status).toBe(416);
    expect(past.headers.get("content-range")).toBe("bytes */300000");
    expect(JSON.parse(new TextDecoder().decode(past.bytes))).toEqual({
      error: "The range is past the end of the attachment (300000 bytes)",
      status: 416,
    });
    // Several ranges (or another unit) are answered with the whole attachment, as RFC 9110 allows.
    for (const range of ["bytes=0-1,5-6", "items=0-1", "bytes=abc"]) {
      const all = await download(t.org, t.url, { range });
      expect([all.status, all.bytes.byteLength]).toEqual([200, 300_000]);
    }
  });

  it("another org, another inbox, an unknown or a malformed attachment id: 404", async () => {
    const t = await importedWithAttachment("a.pdf", 2000);
    const other = uniqueOrg("store-other");
    for (const org of [other]) {
      const response = await download(org, t.url);
      expect(response.status, "other org").toBe(404);
      expectError(await call("GET", messagePath(t.message.id), { org }), 404);
    }
    const missing = await download(t.org, t.url.replace(/[0-9a-f]{32}$/, "0".repeat(32)));
    expect(missing.status, "unknown id").toBe(404);
    const malformed = await download(t.org, t.url.replace(/[0-9a-f]{32}$/, "..%2F..%2Fbody.html"));
    expect(malformed.status, "malformed id").toBe(404);
    expectError(await call("GET", `${messagePath(t.message.id, "missing-inbox")}`, { org: t.org }), 404);
    const otherInbox = await download(
      t.org,
      t.url.replace("/shared-inboxes/default/", "/shared-inboxes/missing-inbox/"),
    );
    expect(otherInbox.status, "other inbox").toBe(404);
  });
});

describe("getSharedInboxMessage", () => {
  it("answers the whole message with its attachment list; another org's id is 404", async () => {
    const t = await importedWithAttachment("contract.pdf", 4000);
    expect(t.message).toMatchObject({
      id: t.message.id,
      has_attachments: true,
      body: { content_type: "html", truncated: false },
    });
    expect(t.attachment).toMatchObject({
      name: "contract.pdf",
      size: 4000,
      kind: "file",
      state: "stored",
      sha256: t.served?.sha256,
      url: `/v2/email-settings/shared-inboxes/default/messages/${t.message.id}/attachments/${t.attachment?.id}`,
    });
    expectError(await call("GET", messagePath(t.message.id), { org: uniqueOrg() }), 404, /not found/);
    expectError(await call("GET", messagePath("no-such-message"), { org: t.org }), 404, /not found/);
  });
});

describe("ranges and filenames (the pure rules)", () => {
  it("parses one byte range as RFC 9110 reads it", () => {
    expect(parseRange("bytes=0-0", 10)).toEqual({ kind: "range", offset: 0, length: 1 });
    expect(parseRange("bytes=-100", 10)).toEqual({ kind: "range", offset: 0, length: 10 });
    expect(parseRange("bytes=-0", 10)).toEqual({ kind: "unsatisfiable" });
    expect(parseRange("bytes=10-", 10)).toEqual({ kind: "unsatisfiable" });
    expect(parseRange("bytes=5-2", 10)).toEqual({ kind: "whole" });
    expect(parseRange(`bytes=${"1".repeat(300)}-`, 10)).toEqual({ kind: "whole" });
    expect(parseRange(undefined, 10)).toEqual({ kind: "whole" });
  });

  it("never lets a filename break out of its header parameter", () => {
    expect(attachmentDisposition("")).toBe(`attachment; filename="attachment"; filename*=UTF-8''attachment`);
    expect(attachmentDisposition("a\r\nSet-Cookie: x=1")).toBe(
      `attachment; filename="a__Set-Cookie: x=1"; filename*=UTF-8''a__Set-Cookie%3A%20x%3D1`,
    );
    expect(attachmentDisposition("..\\..\\boot.ini")).toBe(
      `attachment; filename="__.._boot.ini"; filename*=UTF-8''__.._boot.ini`,
    );
    expect(attachmentDisposition("\u202egnp.exe")).toBe(`attachment; filename="gnp.exe"; filename*=UTF-8''gnp.exe`);
  });
});
