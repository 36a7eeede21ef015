import { env } from "cloudflare:workers";
import { uniqueOrg } from "@test/helpers/api";
import { grantLiveRun, incomingMessage, livePage } from "@test/helpers/mailbox-object";
import { describe, expect, it } from "vitest";
import type { IncomingMessage } from "@/db/mailbox-object";
import { servicesFor } from "@/entry/services";
import { lockStub } from "@/features/mailboxes/sync/lock-stub";
import {
  type ListedRow,
  type ListingKey,
  mergePages,
  newestFirst,
  type PageSource,
} from "@/features/shared-inbox-messages/merge-pages";

/**
 * A shared inbox's page merged from its mailboxes' objects (and D1 while mail moves): exactly the newest-first
 * order of all their messages, colliding sort times included, with no duplicates or gaps across pages.
 */

/** A source over an array, answering like a store: below `after`, newest first, `limit` rows. */
function arraySource(rows: ListedRow[]): PageSource<ListedRow> {
  const sorted = [...rows].sort(newestFirst);
  return async (limit, after) =>
    sorted.filter((row) => !after || newestFirst(row, { sortAt: after[0], id: after[1] }) > 0).slice(0, limit);
}

async function walk<R extends ListedRow>(sources: PageSource<R>[], limit: number) {
  const seen: string[] = [];
  let after: ListingKey | undefined;
  let pages = 0;
  for (;;) {
    const { rows, more } = await mergePages(sources, limit, after);
    pages += 1;
    seen.push(...rows.map((row) => row.id));
    const last = rows.at(-1);
    if (!more || !last) break;
    after = [last.sortAt, last.id];
  }
  return { seen, pages };
}

const times = ["2026-12-01T08:00:00.000Z", "2026-12-01T09:00:00.000Z", "2026-12-01T09:00:00.000Z"];

describe("mergePages", () => {
  it("pages through three sources with colliding times in exactly the brute-force order, every page size", async () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ sortAt: times[i % 3] as string, id: crypto.randomUUID() }));
    const sources = [rows.slice(0, 7), rows.slice(7, 25), rows.slice(25)].map(arraySource);
    const expected = [...rows].sort(newestFirst).map((row) => row.id);
    for (const limit of [1, 2, 5, 13, 40, 100]) {
      const { seen, pages } = await walk(sources, limit);
      expect(seen).toEqual(expected);
      expect(pages).toBe(Math.max(1, Math.ceil(rows.length / limit)));
    }
  });

  it("serves a message that two sources hold (mid-move) once, and still knows when more follow", async () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({ sortAt: times[i % 3] as string, id: crypto.randomUUID() }));
    const d1 = arraySource(rows);
    const object = arraySource(rows.slice(0, 6));
    const expected = [...rows].sort(newestFirst).map((row) => row.id);
    expect((await walk([d1, object], 3)).seen).toEqual(expected);
    const first = await mergePages([object, d1], 9, undefined);
    expect(first.rows).toHaveLength(9);
    expect(first.more).toBe(true);
  });

  it("answers an empty page, and none after the last message", async () => {
    expect(await mergePages([arraySource([]), arraySource([])], 5, undefined)).toEqual({ rows: [], more: false });
    const only = { sortAt: times[0] as string, id: "a" };
    expect(await mergePages([arraySource([only])], 5, [only.sortAt, only.id])).toEqual({ rows: [], more: false });
  });

  it("merges three mailbox objects' listings into one inbox page order", async () => {
    const services = servicesFor(env);
    const orgId = uniqueOrg("merge");
    const mailboxes = ["a", "b", "c"].map((name) => ({ orgId, mailbox: `${name}@contoso.example` }));
    const expected: ListedRow[] = [];
    for (const [m, owner] of mailboxes.entries()) {
      const rows: IncomingMessage[] = Array.from({ length: 9 + m }, (_, i) =>
        incomingMessage({ graph_id: `g-${m}-${i}`, sort_at: times[(i + m) % 3] as string }),
      );
      const object = lockStub(services, owner.orgId, owner.mailbox);
      const runId = await grantLiveRun(object, owner);
      await object.writeLivePage(owner, runId, livePage("inbox", { rows }), {
        now: new Date().toISOString(),
        sharedInboxId: "default",
      });
      expected.push(...rows.map((row) => ({ sortAt: row.sort_at, id: row.uid })));
    }
    const sources: PageSource<ListedRow>[] = mailboxes.map((owner) => async (limit, after) => {
      const page = await lockStub(services, owner.orgId, owner.mailbox).listMessages(owner, limit, after);
      return page.map((row) => ({ sortAt: row.sort_at, id: row.id }));
    });
    const { seen } = await walk(sources, 4);
    expect(seen).toEqual(expected.sort(newestFirst).map((row) => row.id));
  });
});
