import { env } from "cloudflare:workers";
import { expectError, uniqueOrg } from "@test/helpers/api";
import { attachmentRecord } from "@test/helpers/mailbox-object";
import { mail, objectMailbox, type SearchParams, searchAll, searchRaw } from "@test/helpers/search";
import { describe, expect, it } from "vitest";
import { getDb } from "@/db/client";
import { importedMessages } from "@/db/schema";

/**
 * The search's filters (folder, from, received_after, received_before, has_attachments), each alone and with
 * words: what they keep, their boundaries (after inclusive, before exclusive), the order of what they keep, and
 * the 400 ErrorResponse for values they do not take.
 */

const MAILBOX = "service@contoso.example";

/**
 * An org's mailbox with five messages (newest first: E, D, C, B, A) and, for the filters-only checks, one message
 * still in D1 (a mailbox not moved into its object yet).
 */
async function fiveMessages(options: { withD1?: boolean } = {}) {
  const org = uniqueOrg("search-filters");
  const box = await objectMailbox(org, MAILBOX);
  const a = mail({
    subject: "Rechnung A",
    from_address: "anna@firma.example",
    received_at: "2026-03-01T10:00:00.000Z",
    sort_at: "2026-03-01T10:00:00.000Z",
    has_attachments: 1,
  });
  const e = mail({
    subject: "Mahnung E",
    folder: "sentitems",
    from_address: MAILBOX,
    received_at: "2026-03-02T10:00:00.000Z",
    sent_at: "2026-03-02T09:59:59.000Z",
    sort_at: "2026-03-02T09:59:59.000Z",
    has_attachments: 1,
  });
  await box.add(
    [
      a,
      mail({
        subject: "Rechnung B",
        from_address: "bernd@firma.example",
        received_at: "2026-03-01T11:00:00.000Z",
        sort_at: "2026-03-01T11:00:00.000Z",
      }),
      mail({
        subject: "Rechnung C",
        folder: "sentitems",
        from_address: MAILBOX,
        received_at: "2026-03-01T12:00:00.000Z",
        sent_at: "2026-03-01T11:59:59.000Z",
        sort_at: "2026-03-01T11:59:59.000Z",
      }),
      mail({
        subject: "Mahnung D",
        from_address: "anna@firma.example",
        received_at: "2026-03-02T09:00:00.000Z",
        sort_at: "2026-03-02T09:00:00.000Z",
      }),
      e,
    ],
    [attachmentRecord(a, { name: "rechnung.pdf" }), attachmentRecord(e, { name: "mahnung.pdf" })],
  );
  if (options.withD1) {
    const id = crypto.randomUUID();
    const at = "2026-03-01T10:30:00.000Z";
    await getDb(env.DB)
      .insert(importedMessages)
      .values({
        id,
        orgId: org,
        mailbox: "alt@contoso.example",
        graphId: `graph-${id}`,
        folder: "inbox",
        subject: "Rechnung aus D1",
        fromAddress: "anna@firma.example",
        toRecipients: [{ address: "alt@contoso.example" }],
        ccRecipients: [],
        receivedAt: at,
        sortAt: at,
        bodyContentType: "text",
        body: "Rechnung",
        sharedInboxId: "default",
        bucketId: "default",
        executionId: "exec-d1",
        importedAt: at,
      });
  }
  return org;
}

/** The subjects a search finds, in the order served (all pages, 2 per page). */
async function found(org: string, params: SearchParams) {
  return (await searchAll(org, params, 2)).messages.map((m) => m.subject);
}

describe("search filters alone", () => {
  it("folder: inbox or sentitems only", async () => {
    const org = await fiveMessages();
    expect(await found(org, { folder: "inbox" })).toEqual(["Mahnung D", "Rechnung B", "Rechnung A"]);
    expect(await found(org, { folder: "sentitems" })).toEqual(["Mahnung E", "Rechnung C"]);
  });

  it("from: the sender's address exactly, whatever its case, trimmed; never a part of it", async () => {
    const org = await fiveMessages();
    for (const from of ["anna@firma.example", "ANNA@Firma.Example", "  anna@firma.example  "]) {
      expect(await found(org, { from }), from).toEqual(["Mahnung D", "Rechnung A"]);
    }
    for (const from of ["anna", "firma.example", "anna@firma", "nna@firma.example", "anna@firma.example.org"]) {
      expect(await found(org, { from }), from).toEqual([]);
    }
  });

  it("received_after is inclusive, received_before exclusive, to the millisecond, offsets converted", async () => {
    const org = await fiveMessages();
    const all = ["Mahnung E", "Mahnung D", "Rechnung C", "Rechnung B", "Rechnung A"];
    expect(await found(org, { received_after: "2026-03-01T11:00:00.000Z" })).toEqual(all.slice(0, 4));
    expect(await found(org, { received_after: "2026-03-01T11:00:00Z" })).toEqual(all.slice(0, 4));
    expect(await found(org, { received_after: "2026-03-01T11:00:00.001Z" })).toEqual(all.slice(0, 3));
    expect(await found(org, { received_before: "2026-03-01T11:00:00.000Z" })).toEqual(["Rechnung A"]);
    expect(await found(org, { received_before: "2026-03-01T11:00:00.001Z" })).toEqual(["Rechnung B", "Rechnung A"]);
    // +02:00: 13:00 there is 11:00Z.
    expect(await found(org, { received_before: "2026-03-01T13:00:00+02:00" })).toEqual(["Rechnung A"]);
    expect(await found(org, { received_after: "2026-03-01T13:00:00+02:00" })).toEqual(all.slice(0, 4));
    // A window: [10:00, 12:00) holds A and B; C was received at 12:00 exactly (sorted by its sent time).
    expect(
      await found(org, { received_after: "2026-03-01T10:00:00Z", received_before: "2026-03-01T12:00:00Z" }),
    ).toEqual(["Rechnung B", "Rechnung A"]);
    // An empty or inverted window finds nothing.
    expect(
      await found(org, { received_after: "2026-03-01T11:00:00Z", received_before: "2026-03-01T11:00:00Z" }),
    ).toEqual([]);
    expect(
      await found(org, { received_after: "2026-03-02T00:00:00Z", received_before: "2026-03-01T00:00:00Z" }),
    ).toEqual([]);
  });

  it("has_attachments: true only mail with attachments, false only mail without", async () => {
    const org = await fiveMessages();
    expect(await found(org, { has_attachments: "true" })).toEqual(["Mahnung E", "Rechnung A"]);
    expect(await found(org, { has_attachments: "false" })).toEqual(["Mahnung D", "Rechnung C", "Rechnung B"]);
  });

  it("filters alone apply to mail still in D1 too (merged in order); a search with words skips it (documented)", async () => {
    const org = await fiveMessages({ withD1: true });
    expect(await found(org, { from: "anna@firma.example" })).toEqual(["Mahnung D", "Rechnung aus D1", "Rechnung A"]);
    expect(await found(org, { folder: "inbox", has_attachments: "false" })).toEqual([
      "Mahnung D",
      "Rechnung B",
      "Rechnung aus D1",
    ]);
    expect(await found(org, { q: "rechnung" })).toEqual(["Rechnung C", "Rechnung B", "Rechnung A"]);
  });
});

describe("search filters with words", () => {
  it("each filter narrows what the words find; together they all apply", async () => {
    const org = await fiveMessages();
    expect(await found(org, { q: "rechnung" })).toEqual(["Rechnung C", "Rechnung B", "Rechnung A"]);
    expect(await found(org, { q: "rechnung", folder: "inbox" })).toEqual(["Rechnung B", "Rechnung A"]);
    expect(await found(org, { q: "rechnung", folder: "sentitems" })).toEqual(["Rechnung C"]);
    expect(await found(org, { q: "rechnung", from: "Anna@Firma.example" })).toEqual(["Rechnung A"]);
    expect(await found(org, { q: "rechnung", has_attachments: "true" })).toEqual(["Rechnung A"]);
    expect(await found(org, { q: "rechnung", has_attachments: "false" })).toEqual(["Rechnung C", "Rechnung B"]);
    expect(await found(org, { q: "rechnung", received_after: "2026-03-01T11:00:00Z" })).toEqual([
      "Rechnung C",
      "Rechnung B",
    ]);
    expect(await found(org, { q: "rechnung", received_before: "2026-03-01T11:00:00Z" })).toEqual(["Rechnung A"]);
    expect(await found(org, { q: "mahnung", folder: "sentitems", has_attachments: "true", from: MAILBOX })).toEqual([
      "Mahnung E",
    ]);
    expect(
      await found(org, {
        q: "mahnung",
        from: "anna@firma.example",
        received_after: "2026-03-01T00:00:00Z",
        received_before: "2026-03-02T09:00:00Z",
      }),
    ).toEqual([]);
    // Words that match an attachment name, filtered by folder.
    expect(await found(org, { q: "pdf", folder: "inbox" })).toEqual(["Rechnung A"]);
  });
});

describe("search filters: values they do not take answer 400 ErrorResponse", () => {
  it("rejects folder, dates, has_attachments and from values outside their contract", async () => {
    const org = uniqueOrg("search-filters");
    const bad: SearchParams[] = [
      { folder: "trash" },
      { folder: "INBOX" },
      { folder: "" },
      { folder: "deleteditems", q: "rechnung" },
      { received_after: "yesterday" },
      { received_after: "2026-03-01" },
      { received_after: "2026-03-01T10:00:00" },
      { received_after: "2026-02-30T10:00:00Z" },
      { received_after: "2026-03-01T24:00:00Z" },
      { received_after: "1772359200000" },
      { received_before: "2026-03-01T10:00:00+25:00" },
      { received_before: "" },
      { has_attachments: "yes" },
      { has_attachments: "1" },
      { has_attachments: "TRUE" },
      { has_attachments: "" },
      { from: "" },
      { from: "   " },
      { from: `${"a".repeat(310)}@example.org` },
    ];
    for (const params of bad) {
      const error = expectError(await searchRaw(org, params), 400);
      expect(error.length, JSON.stringify(params)).toBeGreaterThan(0);
    }
  });
});

describe("search filters: dates past year 9999", () => {
  // toISOString() writes a year past 9999 as "+010000-...", which would sort before every stored time as text.
  it("received_after=9999-12-31T23:59:59-23:59 (year 10000 in UTC) finds nothing; received_before finds all", async () => {
    const org = await fiveMessages();
    const late = "9999-12-31T23:59:59-23:59";
    expect(await found(org, { received_after: late })).toEqual([]);
    expect(await found(org, { received_before: late })).toHaveLength(5);
  });
});
