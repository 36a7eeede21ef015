import { env } from "cloudflare:workers";
import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { servedBodies } from "@test/helpers/message-store";
import { unsafeParts } from "@test/helpers/xss-oracle";
import { describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { importedMessages } from "@/db/schema";
import { ImportedMessagesResponseSchema } from "@/features/shared-inbox-messages/shared-inbox-messages.schemas";
import { SharedInboxResponseSchema } from "@/features/shared-inboxes/shared-inboxes.schemas";

/**
 * Imported mail as listSharedInboxMessages serves it: HTML bodies from outside
 * senders come back sanitized, text bodies as they are, and the stored original only through
 * getSharedInboxMessageOriginalBody, as a download no browser renders. Rows are seeded as the import
 * stores them, so what is checked is what the API makes of stored mail (old rows included).
 */

const MESSAGES = (inbox: string) => `/v2/email-settings/shared-inboxes/${inbox}/messages`;
const ORIGINAL = (inbox: string, id: string) => `${MESSAGES(inbox)}/${id}/original-body`;

let seq = 0;
async function seedMessage(org: string, body: string | null, contentType: string | null, inbox = "default") {
  const id = crypto.randomUUID();
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, seq++)).toISOString();
  await getDb(env.DB)
    .insert(importedMessages)
    .values({
      id,
      orgId: org,
      mailbox: "support@contoso.test",
      graphId: `graph-${id}`,
      folder: "inbox",
      subject: "Hello",
      fromAddress: "sender@outside.test",
      toRecipients: [{ address: "support@contoso.test" }],
      ccRecipients: [],
      receivedAt: at,
      sortAt: at,
      bodyContentType: contentType,
      body,
      sharedInboxId: inbox,
      bucketId: "default",
      executionId: "exec-1",
      importedAt: at,
    });
  return id;
}

/**
 * The bodies of the inbox's messages, by id: the listing serves none (`body.content` null, checked by
 * `servedBodies`), so each is the body getSharedInboxMessage serves.
 */
async function listBodies(org: string, inbox = "default") {
  return servedBodies(call as never, org, inbox);
}

const HOSTILE = [
  "<p>Dear customer,</p><script>fetch('/v2/email-settings/x')</script>",
  '<img src="https://tracker.example/p.gif" onerror="alert(1)" width="1">',
  '<a href="java&Tab;script:alert(1)">click</a> <a href="https://shop.example/offer">offer</a>',
  '<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil.example">',
  '<link rel="stylesheet" href="https://evil.example/x.css"><style>body{display:none}</style>',
  '<form action="https://evil.example/login"><input name="password"><button>Sign in</button></form>',
  '<iframe src="https://evil.example/frame"></iframe><object data="x.swf"></object>',
  '<svg><animate onbegin="alert(1)"/></svg><math><mtext><img src=x onerror=alert(2)></mtext></math>',
  '<div style="width:expression(alert(3));color:#123456">styled</div>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>',
  '<noscript><p title="</noscript><img src=x onerror=alert(4)>"></noscript>',
].join("\n");

const NEWSLETTER =
  '<table width="600" cellpadding="0" cellspacing="0" bgcolor="#f4f4f4"><tbody><tr>' +
  '<td style="padding:16px;font-family:Arial, sans-serif;color:#333333" valign="top">' +
  '<img src="cid:logo@contoso" alt="Logo" width="120"><img src="https://cdn.example/banner.png" alt="Banner">' +
  '<font face="Georgia" color="#990000" size="2">Sale</font></td></tr></tbody></table>';

describe("listSharedInboxMessages", () => {
  it("validates the inbox, limit and cursor", async () => {
    const api = call;
    const org = uniqueOrg();
    expectError(await api("GET", "/v2/email-settings/shared-inboxes/missing/messages", { org }), 404);
    expectError(await api("GET", "/v2/email-settings/shared-inboxes/default/messages?limit=101", { org }), 400);
    expectError(await api("GET", "/v2/email-settings/shared-inboxes/default/messages?cursor=zzz", { org }), 400);
    const empty = expectBody(
      await api("GET", "/v2/email-settings/shared-inboxes/default/messages", { org }),
      200,
      ImportedMessagesResponseSchema,
    );
    expect(empty).toEqual({ messages: [], next_cursor: null });
  });
});

describe("listSharedInboxMessages: HTML bodies are served sanitized", () => {
  it("removes scripts, handlers, forms, frames, base, meta, link and unsafe URLs", async () => {
    const org = uniqueOrg();
    const id = await seedMessage(org, HOSTILE, "html");
    const body = (await listBodies(org)).get(id);
    expect(body?.content_type).toBe("html");
    const content = body?.content ?? "";
    expect(unsafeParts(content)).toEqual([]);
    for (const gone of ["<script", "onerror", "javascript", "<base", "<meta", "<link", "<style", "<form", "<input"]) {
      expect(content).not.toContain(gone);
    }
    for (const gone of ["<button", "<iframe", "<object", "<svg", "<math", "expression", "data:text", "evil.example"]) {
      expect(content).not.toContain(gone);
    }
    expect(content).toContain("<p>Dear customer,</p>");
    expect(content).toContain('<img src="https://tracker.example/p.gif" width="1">');
    expect(content).toContain(
      '<a>click</a> <a href="https://shop.example/offer" target="_blank" rel="noopener noreferrer">offer</a>',
    );
    expect(content).toContain('<div style="color:#123456">styled</div>');
    expect(content).toContain("<a>data link</a>");
    expect(body?.truncated).toBe(false);
  });

  it("keeps what mail needs: tables, inline styles, fonts, cid and https images", async () => {
    const org = uniqueOrg();
    const id = await seedMessage(org, NEWSLETTER, "html");
    expect((await listBodies(org)).get(id)?.content).toBe(NEWSLETTER);
  });

  it("treats a body without a content type as HTML", async () => {
    const org = uniqueOrg();
    const id = await seedMessage(org, "<b>x</b><script>alert(1)</script>", null);
    expect((await listBodies(org)).get(id)?.content).toBe("<b>x</b>");
  });

  it("serves text bodies as stored", async () => {
    const org = uniqueOrg();
    const text = "Hi <script>alert(1)</script> & <b>bye</b>\r\n";
    const id = await seedMessage(org, text, "text");
    const body = (await listBodies(org)).get(id);
    expect(body).toEqual({ content_type: "text", content: text, truncated: false });
    const none = await seedMessage(org, null, "html");
    expect((await listBodies(org)).get(none)).toEqual({ content_type: "html", content: null, truncated: false });
  });

  it("bounds what it sanitizes: a huge or deeply nested body is answered, cut and flagged", async () => {
    const org = uniqueOrg();
    const huge = await seedMessage(org, `<p>${"word ".repeat(80_000)}</p>`, "html");
    const deep = await seedMessage(org, `${"<div>".repeat(30_000)}deep${"</div>".repeat(30_000)}`, "html");
    const bodies = await listBodies(org);
    const hugeBody = bodies.get(huge);
    expect(hugeBody?.truncated).toBe(true);
    expect(hugeBody?.content?.length).toBeLessThanOrEqual(256 * 1024 + 16);
    expect(hugeBody?.content?.startsWith("<p>word word")).toBe(true);
    const deepContent = bodies.get(deep)?.content ?? "";
    expect(deepContent).toContain("deep");
    // Nesting past the bound is flattened: at most 128 elements deep.
    expect(deepContent.split("<div>").length - 1).toBe(128);
  });
});

describe("getSharedInboxMessageOriginalBody", () => {
  it("answers the stored body as a plain-text download no browser renders", async () => {
    const org = uniqueOrg();
    const id = await seedMessage(org, HOSTILE, "html");
    const response = await call("GET", ORIGINAL("default", id), { org });
    expect(response.status).toBe(200);
    expect(response.body).toBe(HOSTILE);
    expect(response.headers.get("content-type")?.toLowerCase()).toBe("text/plain; charset=utf-8");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toBe("sandbox");
    expect(response.headers.get("content-disposition")).toBe('attachment; filename="original-body.txt"');
    expect(response.headers.get("x-body-content-type")).toBe("html");
    expect(response.headers.get("x-body-truncated")).toBe("false");
  });

  it("answers a text body and an empty body too", async () => {
    const org = uniqueOrg();
    const text = await seedMessage(org, "plain & simple", "text");
    const response = await call("GET", ORIGINAL("default", text), { org });
    expect([response.status, response.body, response.headers.get("x-body-content-type")]).toEqual([
      200,
      "plain & simple",
      "text",
    ]);
    const empty = await seedMessage(org, null, "html");
    const none = await call("GET", ORIGINAL("default", empty), { org });
    expect([none.status, none.body]).toEqual([200, ""]);
  });

  it("is a 404 for another org's message, another inbox, or an unknown id", async () => {
    const org = uniqueOrg();
    const other = uniqueOrg();
    const inbox = expectBody(
      await call("POST", "/v2/email-settings/shared-inboxes", { org, body: { name: "Support", color: "#336699" } }),
      201,
      SharedInboxResponseSchema,
    );
    const id = await seedMessage(org, "<p>secret</p>", "html", inbox.id);
    expect((await call("GET", ORIGINAL(inbox.id, id), { org })).body).toBe("<p>secret</p>");
    expectError(await call("GET", ORIGINAL(inbox.id, id), { org: other }), 404, /not found/);
    expectError(await call("GET", ORIGINAL("default", id), { org: other }), 404, /Message/);
    expectError(await call("GET", ORIGINAL("default", id), { org }), 404, /Message/);
    expectError(await call("GET", ORIGINAL(inbox.id, crypto.randomUUID()), { org }), 404, /Message/);
    expectError(await call("GET", ORIGINAL(inbox.id, id), { org, token: null }), 401);
  });

  it("is documented in /openapi.json", async () => {
    type Operation = { operationId?: string; responses?: Record<string, { content?: Record<string, unknown> }> };
    const doc = await call<{ paths: Record<string, Record<string, Operation>> }>("GET", "/openapi.json", {
      token: null,
    });
    const path = "/v2/email-settings/shared-inboxes/{id}/messages/{message_id}/original-body";
    const operation = doc.body.paths[path]?.get ?? {};
    expect(operation.operationId).toBe("getSharedInboxMessageOriginalBody");
    const responses = operation.responses ?? {};
    expect(Object.keys(responses["200"]?.content ?? {})).toEqual(["text/plain"]);
    expect(Object.keys(responses)).toEqual(expect.arrayContaining(["200", "401", "404"]));
  });
});
