import { uniqueOrg } from "@test/helpers/api";
import { mail, objectMailbox, type SearchRow, search, searchAll } from "@test/helpers/search";
import { describe, expect, it } from "vitest";

/**
 * A search's pages across the mailboxes feeding one inbox: exactly the order of the brute-force sort of what it
 * finds (sort time desc, then id desc), colliding times included, no message twice and none missing, the last page
 * saying so; and the cursor is the listing's (a cursor from either works in the other).
 */

const TIMES = ["2026-04-01T08:00:00.000Z", "2026-04-01T09:00:00.000Z", "2026-04-01T09:00:00.000Z"];

/** Newest first: sort time, then id, both descending (the listing's order). */
const newestFirst = (a: SearchRow, b: SearchRow) =>
  a.sort_at === b.sort_at ? (a.uid < b.uid ? 1 : a.uid > b.uid ? -1 : 0) : a.sort_at < b.sort_at ? 1 : -1;

/**
 * Three mailboxes of one org feeding the default inbox, 9, 10 and 11 messages, on three sort times (two equal):
 * every third message is about "Ablesung" in the sent items, the others in the inbox; every fourth is unrelated.
 */
async function threeMailboxes() {
  const org = uniqueOrg("search-paging");
  const rows: SearchRow[] = [];
  for (const [m, name] of ["nord", "sued", "west"].entries()) {
    const box = await objectMailbox(org, `${name}@stadtwerke.example`);
    const own = Array.from({ length: 9 + m }, (_, i) =>
      mail({
        subject: i % 4 === 3 ? `Urlaub ${name} ${i}` : `Ablesung ${name} ${i}`,
        folder: i % 3 === 0 ? "sentitems" : "inbox",
        sort_at: TIMES[(i + m) % 3] as string,
        received_at: TIMES[(i + m) % 3] as string,
      }),
    );
    await box.add(own);
    rows.push(...own);
  }
  return { org, rows };
}

const idsOf = (rows: SearchRow[]) => [...rows].sort(newestFirst).map((row) => row.uid);

describe("search paging across three mailboxes", () => {
  it("limit=2 pages equal the brute-force order exactly: no duplicates, no gaps, the last page ends it", async () => {
    const { org, rows } = await threeMailboxes();
    const expected = idsOf(rows.filter((row) => row.subject?.startsWith("Ablesung")));
    expect(expected.length).toBe(24);
    const { messages, pages } = await searchAll(org, { q: "ablesung" }, 2);
    expect(messages.map((m) => m.id)).toEqual(expected);
    expect(pages).toBe(12);
  });

  it("every page size walks the same order, with words and filters alike", async () => {
    const { org, rows } = await threeMailboxes();
    const inboxAblesung = idsOf(rows.filter((row) => row.subject?.startsWith("Ablesung") && row.folder === "inbox"));
    const everything = idsOf(rows);
    for (const limit of [1, 3, 7, 100]) {
      const words = await searchAll(org, { q: "ablesung", folder: "inbox" }, limit);
      expect(
        words.messages.map((m) => m.id),
        `limit ${limit}`,
      ).toEqual(inboxAblesung);
      expect(words.pages).toBe(Math.max(1, Math.ceil(inboxAblesung.length / limit)));
      const filters = await searchAll(org, { received_after: "2026-04-01T00:00:00Z" }, limit);
      expect(
        filters.messages.map((m) => m.id),
        `limit ${limit}`,
      ).toEqual(everything);
    }
  });

  it("a cursor from the plain listing continues a search below that message, and the other way round", async () => {
    const { org, rows } = await threeMailboxes();
    const all = [...rows].sort(newestFirst);
    const matching = all.filter((row) => row.subject?.startsWith("Ablesung")).map((row) => row.uid);
    // The plain listing's 7th message is where its cursor points.
    const plain = await search(org, { limit: 7 });
    expect(plain.messages.map((m) => m.id)).toEqual(all.slice(0, 7).map((row) => row.uid));
    const cursor = plain.next_cursor as string;
    expect(cursor).toBeTruthy();
    const below = new Set(all.slice(7).map((row) => row.uid));
    const rest = await search(org, { q: "ablesung", cursor, limit: 100 });
    expect(rest.messages.map((m) => m.id)).toEqual(matching.filter((id) => below.has(id)));
    expect(rest.next_cursor).toBeNull();

    // A search's cursor continues the plain listing below the last message it served.
    const first = await search(org, { q: "ablesung", limit: 4 });
    const last = first.messages.at(-1)?.id as string;
    const after = all.slice(all.findIndex((row) => row.uid === last) + 1).map((row) => row.uid);
    const listing = await search(org, { cursor: first.next_cursor as string, limit: 100 });
    expect(listing.messages.map((m) => m.id)).toEqual(after);
  });

  it("a cursor past the last match answers an empty page; a search finding nothing answers no cursor", async () => {
    const { org, rows } = await threeMailboxes();
    const oldestPage = await search(org, { q: "urlaub", limit: 100 });
    const urlaub = idsOf(rows.filter((row) => row.subject?.startsWith("Urlaub")));
    expect(oldestPage.messages.map((m) => m.id)).toEqual(urlaub);
    // Exactly `limit` matches: the page is full and says there is no more.
    expect(await search(org, { q: "urlaub", limit: urlaub.length })).toMatchObject({ next_cursor: null });
    const listing = await search(org, { limit: rows.length - 1 });
    const tail = await search(org, { q: "ablesung", cursor: listing.next_cursor as string });
    const oldest = [...rows].sort(newestFirst).at(-1) as SearchRow;
    expect(tail.messages.map((m) => m.id)).toEqual(oldest.subject?.startsWith("Ablesung") ? [oldest.uid] : []);
    expect(tail.next_cursor).toBeNull();
    expect(await search(org, { q: "nirgendwo" })).toEqual({ messages: [], next_cursor: null });
  });
});
