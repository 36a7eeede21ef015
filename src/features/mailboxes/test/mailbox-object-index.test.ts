import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { uniqueOrg } from "@test/helpers/api";
import { d1MessageRow, grantLiveRun, livePage, incomingMessage as message } from "@test/helpers/mailbox-object";
import { describe, expect, it } from "vitest";
import type { IncomingMessage } from "@/db/mailbox-object";
import migrations from "@/db/mailbox-object/migrations";
import { servicesFor } from "@/entry/services";
import { lockStub } from "@/features/mailboxes/sync/lock-stub";

/**
 * The message index in each mailbox's Durable Object (SQLite): its migrations, the import's fencing by the
 * object's own lease, the refresh rules of import and live pages, tombstones, the newest-first keyset
 * listing, and the object's owner check.
 */

const services = servicesFor(env);

function mailboxObject() {
  const owner = { orgId: uniqueOrg("index"), mailbox: `${crypto.randomUUID().slice(0, 8)}@contoso.example` };
  return { owner, stub: lockStub(services, owner.orgId, owner.mailbox) };
}

async function leaseOf(stub: ReturnType<typeof mailboxObject>["stub"], owner: { orgId: string; mailbox: string }) {
  const executionId = crypto.randomUUID();
  const grant = await stub.acquire({ ...owner, executionId, leaseMs: 60_000 });
  if (!grant.ok) throw new Error("the lease was not granted");
  return { executionId, token: grant.token };
}

const at = (readAt = "2026-12-02T00:00:00.000Z") => ({
  now: new Date().toISOString(),
  readAt,
  sharedInboxId: "default",
});

/** An import page of `rows`, each imported. */
const importPage = (rows: IncomingMessage[]) => ({
  rows,
  attachments: [],
  outcomes: rows.map((row) => ({ graph_id: row.graph_id, folder: row.folder })),
});

/** When live sync wrote a page (`now`), and the inbox its new mail feeds. */
const liveAt = (now = new Date().toISOString()) => ({ now, sharedInboxId: "default" });

describe("a mailbox object's message index", () => {
  it("creates its tables on first use and records its migration once", async () => {
    const { owner, stub } = mailboxObject();
    expect(await stub.messageCounts(owner)).toEqual({ listed: 0, tombstones: 0 });
    await runInDurableObject(stub, (_instance, state) => {
      const tables = state.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .toArray()
        .map((row) => row.name);
      expect(tables).toEqual(
        expect.arrayContaining(["attachments", "import_items", "message_events", "messages", "message_search"]),
      );
      const applied = state.storage.sql.exec("SELECT count(*) AS n FROM __drizzle_migrations").one();
      expect(applied.n).toBe(migrations.journal.entries.length);
    });
  });

  it("writes an import page only under the mailbox's current lease, once however often it is redelivered", async () => {
    const { owner, stub } = mailboxObject();
    const rows = [message(), message()];
    const stale = { executionId: crypto.randomUUID(), token: 99 };
    expect(await stub.writeImportPage(owner, stale, importPage(rows), at())).toEqual({
      refused: true,
      written: [],
      inserted: 0,
      withoutRow: [],
      events: 0,
    });
    expect((await stub.messageCounts(owner)).listed).toBe(0);

    const lease = await leaseOf(stub, owner);
    const first = await stub.writeImportPage(owner, lease, importPage(rows), at());
    expect(first.refused).toBe(false);
    expect(first.written.map((row) => row.id).sort()).toEqual(rows.map((row) => row.uid).sort());
    expect(first.inserted).toBe(2);
    expect(first.withoutRow).toEqual([]);
    // The same page again (a redelivered queue message): nothing written, nothing doubled.
    const again = await stub.writeImportPage(owner, lease, importPage(rows), at());
    expect(again).toMatchObject({ written: [], inserted: 0, withoutRow: [] });
    expect(await stub.messageCounts(owner)).toEqual({ listed: 2, tombstones: 0 });

    // A released lease fences its holder out.
    await stub.release(lease.executionId, lease.token);
    const late = message();
    expect((await stub.writeImportPage(owner, lease, importPage([late]), at())).refused).toBe(true);
    expect(await stub.hasMessage(owner, late.graph_id)).toBe(false);
  });

  it("revives a tombstone older than the import page, keeping its id; a newer tombstone stays", async () => {
    const { owner, stub } = mailboxObject();
    const lease = await leaseOf(stub, owner);
    const old = message();
    const recent = message();
    await stub.writeImportPage(owner, lease, importPage([old, recent]), at());
    // Live sync saw both leave the inbox: one before the page below was read, one after.
    const runId = await grantLiveRun(stub, owner);
    const removed = (graphId: string, now: string) =>
      stub.writeLivePage(owner, runId, livePage("inbox", { removed: [graphId] }), liveAt(now));
    expect((await removed(old.graph_id, "2026-12-01T00:00:00.000Z")).tombstoned).toEqual([old.graph_id]);
    expect((await removed(recent.graph_id, "2026-12-03T00:00:00.000Z")).tombstoned).toEqual([recent.graph_id]);
    expect(await stub.messageCounts(owner)).toEqual({ listed: 0, tombstones: 2 });

    // The page was read on 12-02: after the first deletion (the message is back), before the second.
    const page = [
      { ...old, uid: crypto.randomUUID() },
      { ...recent, uid: crypto.randomUUID() },
    ];
    const { written, withoutRow } = await stub.writeImportPage(
      owner,
      lease,
      importPage(page),
      at("2026-12-02T00:00:00.000Z"),
    );
    expect(written.map((row) => row.id)).toEqual([old.uid]);
    expect(withoutRow).toEqual([recent.graph_id]);
    expect((await stub.findMessage(owner, old.uid))?.graph_id).toBe(old.graph_id);
    expect(await stub.findMessage(owner, recent.uid)).toBeNull();
  });

  it("applies a live copy only when Graph's version is newer, and moves between folders", async () => {
    const { owner, stub } = mailboxObject();
    const first = message({ graph_modified_at: "2026-12-01T10:00:00.000Z", subject: "first" });
    const runId = await grantLiveRun(stub, owner);
    const write = (rows: IncomingMessage[]) =>
      stub.writeLivePage(owner, runId, livePage(rows[0]?.folder ?? "inbox", { rows }), liveAt());
    await write([first]);
    const older = {
      ...first,
      uid: crypto.randomUUID(),
      subject: "older",
      graph_modified_at: "2026-12-01T09:00:00.000Z",
    };
    expect((await write([older])).written).toEqual([]);
    expect(await stub.findMessage(owner, first.uid)).toMatchObject({ subject: "first", execution_id: `live:${runId}` });

    const moved = { ...first, uid: crypto.randomUUID(), folder: "sentitems" as const };
    expect((await write([moved])).written).toEqual([{ id: first.uid, graph_id: first.graph_id, folder: "sentitems" }]);
    const newer = { ...moved, subject: "newer", graph_modified_at: "2026-12-01T11:00:00.000Z" };
    await write([newer]);
    expect(await stub.findMessage(owner, first.uid)).toMatchObject({ subject: "newer", folder: "sentitems" });
  });

  it("tombstones only what is listed in the folder that reported the removal", async () => {
    const { owner, stub } = mailboxObject();
    const inbox = message();
    const sent = message({ folder: "sentitems" });
    const runId = await grantLiveRun(stub, owner);
    await stub.writeLivePage(owner, runId, livePage("inbox", { rows: [inbox, sent] }), liveAt());
    const removal = livePage("inbox", { removed: [inbox.graph_id, sent.graph_id] });
    expect((await stub.writeLivePage(owner, runId, removal, liveAt())).tombstoned).toEqual([inbox.graph_id]);
    const replayed = livePage("inbox", { removed: [inbox.graph_id] });
    expect((await stub.writeLivePage(owner, runId, replayed, liveAt())).tombstoned).toEqual([]);
    expect(await stub.messageCounts(owner)).toEqual({ listed: 1, tombstones: 1 });
    expect(await stub.findMessage(owner, sent.uid)).toMatchObject({ folder: "sentitems" });
  });

  it("lists newest first by (sort time, id) in pages with no duplicates or gaps, colliding times included", async () => {
    const { owner, stub } = mailboxObject();
    const times = ["2026-12-01T10:00:00.000Z", "2026-12-01T11:00:00.000Z", "2026-12-01T12:00:00.000Z"];
    const rows = Array.from({ length: 23 }, (_, i) => message({ sort_at: times[i % 3] as string }));
    const runId = await grantLiveRun(stub, owner);
    await stub.writeLivePage(owner, runId, livePage("inbox", { rows }), liveAt());
    await stub.writeLivePage(owner, runId, livePage("inbox", { removed: [rows[4]?.graph_id as string] }), liveAt());

    const expected = rows
      .filter((_, i) => i !== 4)
      .sort((a, b) => b.sort_at.localeCompare(a.sort_at) || b.uid.localeCompare(a.uid))
      .map((row) => row.uid);
    const seen: string[] = [];
    let after: [string, string] | undefined;
    for (;;) {
      const page = await stub.listMessages(owner, 5, after);
      seen.push(...page.map((row) => row.id));
      const last = page.at(-1);
      if (page.length < 5 || !last) break;
      after = [last.sort_at, last.id];
    }
    expect(seen).toEqual(expected);
  });

  it("adopts rows moved in from D1 with their ids and tombstones; a repeated move adds nothing, newer rows stay", async () => {
    const { owner, stub } = mailboxObject();
    const live = message({ subject: "newer in the object", graph_modified_at: "2026-12-05T00:00:00.000Z" });
    const runId = await grantLiveRun(stub, owner);
    await stub.writeLivePage(owner, runId, livePage("inbox", { rows: [live] }), liveAt());
    const kept = message();
    const tombstone = message();
    const rows = [
      d1MessageRow(kept),
      d1MessageRow(tombstone, { deleted_at: "2026-12-01T12:00:00.000Z" }),
      // D1's older copy of the message live sync already wrote into the object.
      d1MessageRow({ ...live, subject: "older in D1" }),
    ];
    const adoption = { messages: rows, attachments: [], items: [] };
    const first = await stub.adoptMessages(owner, { runId }, adoption);
    if (!first) throw new Error("the adoption was refused");
    expect(first.added.sort()).toEqual([kept.uid, tombstone.uid].sort());
    expect(first.held.sort()).toEqual(rows.map((row) => row.id).sort());
    const again = await stub.adoptMessages(owner, { runId }, adoption);
    expect({ added: again?.added, held: again?.held.sort() }).toEqual({ added: [], held: first.held });
    expect(await stub.findMessage(owner, kept.uid)).toMatchObject({ id: kept.uid, execution_id: "exec-from-d1" });
    expect(await stub.findMessage(owner, tombstone.uid)).toBeNull();
    expect((await stub.findMessage(owner, live.uid))?.subject).toBe("newer in the object");
    expect(await stub.messageCounts(owner)).toEqual({ listed: 2, tombstones: 1 });
  });

  it("offboarding empties the index, idempotently; a reconnected mailbox starts from empty", async () => {
    const { owner, stub } = mailboxObject();
    const runId = await grantLiveRun(stub, owner);
    await stub.writeLivePage(owner, runId, livePage("inbox", { rows: [message(), message()] }), liveAt());
    await stub.dropMessageIndex();
    await stub.dropMessageIndex();
    expect(await stub.messageCounts(owner)).toEqual({ listed: 0, tombstones: 0 });
    // Offboarding deletes the live state too: the reconnected mailbox's live sync runs anew.
    const reconnected = await grantLiveRun(stub, owner);
    const again = message();
    const { written } = await stub.writeLivePage(owner, reconnected, livePage("inbox", { rows: [again] }), liveAt());
    expect(written.map((row) => row.id)).toEqual([again.uid]);
    expect(await stub.messageCounts(owner)).toEqual({ listed: 1, tombstones: 0 });
  });

  it("refuses a call for another org or mailbox than the one it belongs to", async () => {
    const { owner, stub } = mailboxObject();
    const runId = await grantLiveRun(stub, owner);
    await stub.writeLivePage(owner, runId, livePage("inbox", { rows: [message()] }), liveAt());
    const intruder = { ...owner, orgId: uniqueOrg("other") };
    // Called inside the object: a refused call is an error of its caller, not an unhandled one of the object.
    await runInDurableObject(stub, async (instance) => {
      await expect(instance.listMessages(intruder, 10)).rejects.toThrow(/belongs to another org or mailbox/);
      await expect(
        instance.writeLivePage(intruder, runId, livePage("inbox", { rows: [message()] }), liveAt()),
      ).rejects.toThrow(/belongs to another org or mailbox/);
    });
    expect((await stub.messageCounts(owner)).listed).toBe(1);
  });
});
