import { env } from "cloudflare:workers";
import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { mail, messagesPath, objectMailbox, search, searchAll, searchRaw } from "@test/helpers/search";
import { describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { importedMessages } from "@/db/schema";
import { SharedInboxResponseSchema } from "@/features/shared-inboxes/shared-inboxes.schemas";

/**
 * A search sees only the caller's org and the inbox it names: another org's token on an inbox id answers 404 (or,
 * for the default inbox every org has, only its own mail), and two orgs with the same mailbox address and the same
 * words never see each other's mail, whatever the words, filters or cursor.
 */

const SHARED_ADDRESS = "postfach@gemeinsam.example";

async function inboxOf(org: string, name: string) {
  return expectBody(
    await call("POST", "/v2/email-settings/shared-inboxes", { org, body: { name, color: "#336699" } }),
    201,
    SharedInboxResponseSchema,
  ).id;
}

/** A D1 message (a mailbox not moved yet) of the org's default inbox. */
async function d1Message(org: string, subject: string, fromAddress: string) {
  const id = crypto.randomUUID();
  const at = "2026-05-01T09:30:00.000Z";
  await getDb(env.DB)
    .insert(importedMessages)
    .values({
      id,
      orgId: org,
      mailbox: SHARED_ADDRESS,
      graphId: `graph-${id}`,
      folder: "inbox",
      subject,
      fromAddress,
      toRecipients: [{ address: SHARED_ADDRESS }],
      ccRecipients: [],
      receivedAt: at,
      sortAt: at,
      bodyContentType: "text",
      body: subject,
      sharedInboxId: "default",
      bucketId: "default",
      executionId: "exec-d1",
      importedAt: at,
    });
  return id;
}

/** Two orgs, each with the same mailbox address and the same words in its mail (and one D1 message each). */
async function twoOrgs() {
  const result = [];
  for (const name of ["alpha", "beta"]) {
    const org = uniqueOrg(`search-iso-${name}`);
    const box = await objectMailbox(org, SHARED_ADDRESS);
    const to = JSON.stringify([{ address: SHARED_ADDRESS }]);
    const from_address = "chef@gemeinsam.example";
    const rows = [
      mail({ subject: "Geheimprojekt Zählerstand", from_address, to, has_attachments: 1 }),
      mail({ subject: "Geheimprojekt Budget", from_address, to, folder: "sentitems" }),
    ];
    await box.add(rows);
    const d1 = await d1Message(org, "Geheimprojekt aus D1", "chef@gemeinsam.example");
    result.push({ org, ids: [...rows.map((row) => row.uid), d1] });
  }
  return result as [{ org: string; ids: string[] }, { org: string; ids: string[] }];
}

describe("search isolation between orgs", () => {
  it("another org's token on an org's inbox id answers 404, with or without words and filters", async () => {
    const owner = uniqueOrg("search-iso");
    const inbox = await inboxOf(owner, "Zähler");
    const box = await objectMailbox(owner, SHARED_ADDRESS, inbox);
    await box.add([mail({ subject: "Geheimprojekt im eigenen Postfach" })]);
    expect((await searchAll(owner, { q: "geheimprojekt" }, 100, inbox)).messages).toHaveLength(1);

    const stranger = uniqueOrg("search-iso");
    for (const params of [
      { q: "geheimprojekt" },
      { q: "geheimprojekt", folder: "inbox" },
      { from: "absender@example.org" },
      { has_attachments: "false" },
      {},
    ]) {
      const response = await searchRaw(stranger, params, inbox);
      expectError(response, 404, /not found/);
      expect(JSON.stringify(response.body)).not.toContain("Geheimprojekt");
    }
  });

  it("two orgs with the same mailbox address and words each find only their own mail", async () => {
    const [alpha, beta] = await twoOrgs();
    for (const { org, ids } of [alpha, beta]) {
      const own = new Set(ids);
      for (const params of [
        { q: "geheimprojekt" },
        { q: "geheimprojekt zählerstand" },
        { q: "postfach@gemeinsam.example" },
        { q: "chef", folder: "sentitems" },
        { from: "chef@gemeinsam.example" },
        { has_attachments: "true" },
        {},
      ]) {
        const found = (await searchAll(org, params, 1)).messages;
        expect(found.length, JSON.stringify(params)).toBeGreaterThan(0);
        for (const m of found) expect(own.has(m.id), `${org} ${JSON.stringify(params)} got ${m.id}`).toBe(true);
      }
      expect((await searchAll(org, { q: "geheimprojekt" })).messages).toHaveLength(2);
      expect((await searchAll(org, { from: "chef@gemeinsam.example" })).messages).toHaveLength(3);
    }
  });

  it("another org's cursor pages only the caller's own mail", async () => {
    const [alpha, beta] = await twoOrgs();
    const first = await search(alpha.org, { q: "geheimprojekt", limit: 1 });
    expect(first.next_cursor).not.toBeNull();
    const response = await call("GET", messagesPath({ q: "geheimprojekt", cursor: first.next_cursor ?? "" }), {
      org: beta.org,
    });
    expect(response.status).toBe(200);
    const own = new Set(beta.ids);
    for (const m of (response.body as { messages: { id: string }[] }).messages) expect(own.has(m.id)).toBe(true);
  });

  it("an org's search of one inbox never finds the mail of its other inboxes", async () => {
    const org = uniqueOrg("search-iso");
    const other = await inboxOf(org, "Andere");
    const inDefault = await objectMailbox(org, "default@contoso.example");
    const inOther = await objectMailbox(org, "andere@contoso.example", other);
    const a = mail({ subject: "Geheimprojekt Standard" });
    const b = mail({ subject: "Geheimprojekt Andere" });
    await inDefault.add([a]);
    await inOther.add([b]);
    expect((await searchAll(org, { q: "geheimprojekt" })).messages.map((m) => m.id)).toEqual([a.uid]);
    expect((await searchAll(org, { q: "geheimprojekt" }, 100, other)).messages.map((m) => m.id)).toEqual([b.uid]);
  });
});
