import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { uniqueOrg } from "@test/helpers/api";
import { incomingMessage as message } from "@test/helpers/mailbox-object";
import { describe, expect, it } from "vitest";
import type { D1MessageRow, IncomingMessage } from "@/db/mailbox-object";
import { servicesFor } from "@/entry/services";
import { lockStub } from "@/features/mailboxes/sync/sync-lock";

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

describe("a mailbox object's message index", () => {
  it("creates its tables on first use and records its migration once", async () => {
    const { owner, stub } = mailboxObject();
    expect(await stub.messageCounts(owner)).toEqual({ listed: 0, tombstones: 0 });
    await runInDurableObject(stub, (_instance, state) => {
      const tables = state.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .toArray()
        .map((row) => row.name);
      expect(tables).toEqual(expect.arrayContaining(["attachments", "import_items", "message_events", "messages"]));
      const applied = state.storage.sql.exec("SELECT count(*) AS n FROM __drizzle_migrations").one();
      expect(applied.n).toBe(1);
    });
  });

  it("writes an import page only under the mailbox's current lease, once however often it is redelivered", async () => {
    const { owner, stub } = mailboxObject();
    const rows = [message(), message()];
    const stale = { executionId: crypto.randomUUID(), token: 99 };
    expect(await stub.writeImportPage(owner, stale, rows, at())).toEqual({ refused: true, written: [] });
    expect((await stub.messageCounts(owner)).listed).toBe(0);

    const lease = await leaseOf(stub, owner);
    const first = await stub.writeImportPage(owner, lease, rows, at());
    expect(first.refused).toBe(false);
    expect(first.written.map((row) => row.id).sort()).toEqual(rows.map((row) => row.uid).sort());
    // The same page again (a redelivered queue message): nothing written, nothing doubled.
    expect((await stub.writeImportPage(owner, lease, rows, at())).written).toEqual([]);
    expect(await stub.messageCounts(owner)).toEqual({ listed: 2, tombstones: 0 });

    // A released lease fences its holder out.
    await stub.release(lease.executionId, lease.token);
    expect((await stub.writeImportPage(owner, lease, [message()], at())).refused).toBe(true);
  });

  it("revives a tombstone older than the import page, keeping its id; a newer tombstone stays", async () => {
    const { owner, stub } = mailboxObject();
    const lease = await leaseOf(stub, owner);
    const old = message();
    const recent = message();
    await stub.writeImportPage(owner, lease, [old, recent], at());
    await stub.tombstoneMessages(owner, "inbox", [old.graph_id], "2026-12-01T00:00:00.000Z");
    await stub.tombstoneMessages(owner, "inbox", [recent.graph_id], "2026-12-03T00:00:00.000Z");
    expect(await stub.messageCounts(owner)).toEqual({ listed: 0, tombstones: 2 });

    // The page was read on 12-02: after the first deletion (the message is back), before the second.
    const page = [
      { ...old, uid: crypto.randomUUID() },
      { ...recent, uid: crypto.randomUUID() },
    ];
    const { written } = await stub.writeImportPage(owner, lease, page, at("2026-12-02T00:00:00.000Z"));
    expect(written.map((row) => row.id)).toEqual([old.uid]);
    expect((await stub.findMessage(owner, old.uid))?.graph_id).toBe(old.graph_id);
    expect(await stub.findMessage(owner, recent.uid)).toBeNull();
  });

  it("applies a live copy only when Graph's version is newer, and moves between folders", async () => {
    const { owner, stub } = mailboxObject();
    const first = message({ graph_modified_at: "2026-12-01T10:00:00.000Z", subject: "first" });
    const run = { executionId: "live:run-1", now: new Date().toISOString(), sharedInboxId: "default" };
    await stub.upsertLivePage(owner, [first], run);
    const older = {
      ...first,
      uid: crypto.randomUUID(),
      subject: "older",
      graph_modified_at: "2026-12-01T09:00:00.000Z",
    };
    expect((await stub.upsertLivePage(owner, [older], run)).written).toEqual([]);
    expect((await stub.findMessage(owner, first.uid))?.subject).toBe("first");

    const moved = { ...first, uid: crypto.randomUUID(), folder: "sentitems" as const };
    expect((await stub.upsertLivePage(owner, [moved], run)).written).toEqual([
      { id: first.uid, graph_id: first.graph_id, folder: "sentitems" },
    ]);
    const newer = { ...moved, subject: "newer", graph_modified_at: "2026-12-01T11:00:00.000Z" };
    await stub.upsertLivePage(owner, [newer], run);
    expect(await stub.findMessage(owner, first.uid)).toMatchObject({ subject: "newer", folder: "sentitems" });
  });

  it("tombstones only what is listed in the folder that reported the removal", async () => {
    const { owner, stub } = mailboxObject();
    const inbox = message();
    const sent = message({ folder: "sentitems" });
    await stub.upsertLivePage(owner, [inbox, sent], {
      executionId: "live:run",
      now: new Date().toISOString(),
      sharedInboxId: "default",
    });
    const now = new Date().toISOString();
    expect(await stub.tombstoneMessages(owner, "inbox", [inbox.graph_id, sent.graph_id], now)).toEqual([
      inbox.graph_id,
    ]);
    expect(await stub.tombstoneMessages(owner, "inbox", [inbox.graph_id], now)).toEqual([]);
    expect(await stub.messageCounts(owner)).toEqual({ listed: 1, tombstones: 1 });
  });

  it("lists newest first by (sort time, id) in pages with no duplicates or gaps, colliding times included", async () => {
    const { owner, stub } = mailboxObject();
    const times = ["2026-12-01T10:00:00.000Z", "2026-12-01T11:00:00.000Z", "2026-12-01T12:00:00.000Z"];
    const rows = Array.from({ length: 23 }, (_, i) => message({ sort_at: times[i % 3] as string }));
    await stub.upsertLivePage(owner, rows, {
      executionId: "live:run",
      now: new Date().toISOString(),
      sharedInboxId: "default",
    });
    await stub.tombstoneMessages(owner, "inbox", [rows[4]?.graph_id as string], new Date().toISOString());

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
    await stub.upsertLivePage(owner, [live], {
      executionId: "live:run",
      now: new Date().toISOString(),
      sharedInboxId: "default",
    });
    const d1Row = (m: IncomingMessage, extra: Partial<D1MessageRow> = {}): D1MessageRow => ({
      id: m.uid,
      graph_id: m.graph_id,
      folder: m.folder,
      subject: m.subject,
      from_address: m.from_address,
      from_name: m.from_name,
      to_recipients: m.to,
      cc_recipients: m.cc,
      received_at: m.received_at,
      sent_at: m.sent_at,
      sort_at: m.sort_at,
      conversation_id: m.conversation_id,
      body_preview: m.body_preview,
      body_content_type: m.body_content_type,
      body_truncated: 0,
      body_size: m.body_size,
      has_attachments: 0,
      execution_id: "exec-from-d1",
      imported_at: "2026-11-30T00:00:00.000Z",
      graph_modified_at: m.graph_modified_at,
      deleted_at: null,
      live_seen_round: null,
      ...extra,
    });
    const kept = message();
    const tombstone = message();
    const rows = [
      d1Row(kept),
      d1Row(tombstone, { deleted_at: "2026-12-01T12:00:00.000Z" }),
      // D1's older copy of the message live sync already wrote into the object.
      d1Row({ ...live, subject: "older in D1" }),
    ];
    const first = await stub.adoptMessages(owner, rows);
    expect(first.added.sort()).toEqual([kept.uid, tombstone.uid].sort());
    expect(first.held.sort()).toEqual(rows.map((row) => row.id).sort());
    expect(await stub.adoptMessages(owner, rows)).toEqual({ added: [], held: first.held });
    expect(await stub.findMessage(owner, kept.uid)).toMatchObject({ id: kept.uid, execution_id: "exec-from-d1" });
    expect(await stub.findMessage(owner, tombstone.uid)).toBeNull();
    expect((await stub.findMessage(owner, live.uid))?.subject).toBe("newer in the object");
    expect(await stub.messageCounts(owner)).toEqual({ listed: 2, tombstones: 1 });
  });

  it("offboarding empties the index, idempotently; a reconnected mailbox starts from empty", async () => {
    const { owner, stub } = mailboxObject();
    const run = { executionId: "live:run", now: new Date().toISOString(), sharedInboxId: "default" };
    await stub.upsertLivePage(owner, [message(), message()], run);
    await stub.dropMessageIndex();
    await stub.dropMessageIndex();
    expect(await stub.messageCounts(owner)).toEqual({ listed: 0, tombstones: 0 });
    const again = message();
    expect((await stub.upsertLivePage(owner, [again], run)).written.map((row) => row.id)).toEqual([again.uid]);
    expect(await stub.messageCounts(owner)).toEqual({ listed: 1, tombstones: 0 });
  });

  it("refuses a call for another org or mailbox than the one it belongs to", async () => {
    const { owner, stub } = mailboxObject();
    await stub.upsertLivePage(owner, [message()], {
      executionId: "live:run",
      now: new Date().toISOString(),
      sharedInboxId: "default",
    });
    const intruder = { ...owner, orgId: uniqueOrg("other") };
    // Called inside the object: a refused call is an error of its caller, not an unhandled one of the object.
    await runInDurableObject(stub, async (instance) => {
      await expect(instance.listMessages(intruder, 10)).rejects.toThrow(/belongs to another org or mailbox/);
      await expect(
        instance.upsertLivePage(intruder, [message()], {
          executionId: "live:x",
          now: new Date().toISOString(),
          sharedInboxId: "default",
        }),
      ).rejects.toThrow(/belongs to another org or mailbox/);
    });
    expect((await stub.messageCounts(owner)).listed).toBe(1);
  });
});
