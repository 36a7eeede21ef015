import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { uniqueOrg } from "@test/helpers/api";
import {
  attachmentRecord,
  d1AttachmentRow,
  d1MessageRow,
  grantLiveRun,
  livePage,
  incomingMessage as message,
} from "@test/helpers/mailbox-object";
import { describe, expect, it } from "vitest";
import type { ImportOutcome, IncomingMessage, MovedItem } from "@/db/mailbox-object";
import type { AttachmentRecord } from "@/db/message-store/attachments";
import { servicesFor } from "@/entry/services";
import { lockStub, MOVE_PREFIX } from "@/features/mailboxes/sync/lock-stub";

/**
 * What an import page and a delta page change in a mailbox object, as its callers see it: each message's import
 * outcome (import_items) and a retry's move of the failed ones under its own lease, attachment rows written with
 * their messages, delta pages fenced by the live run the object granted (newest wins, removals, the resync
 * sweep, removals kept from a running import), the removals worth a lookup in Graph, and D1's rows taken over
 * with their ids (the move of existing mail, alone or with a page).
 */

const services = servicesFor(env);

type Owner = { orgId: string; mailbox: string };

function mailboxObject() {
  const owner = { orgId: uniqueOrg("pages"), mailbox: `${crypto.randomUUID().slice(0, 8)}@contoso.example` };
  return { owner, stub: lockStub(services, owner.orgId, owner.mailbox) };
}

type Stub = ReturnType<typeof mailboxObject>["stub"];

async function leaseOf(stub: Stub, owner: Owner, executionId: string = crypto.randomUUID()) {
  const grant = await stub.acquire({ ...owner, executionId, leaseMs: 60_000 });
  if (!grant.ok) throw new Error("the lease was not granted");
  return { executionId, token: grant.token };
}

const imported = (m: IncomingMessage): ImportOutcome => ({ graph_id: m.graph_id, folder: m.folder });
const failed = (m: IncomingMessage, error = "Graph answered 503"): ImportOutcome => ({ ...imported(m), error });

/** An import page: its rows, their attachment rows, and each message's outcome (every row imported unless given). */
function importPage(
  rows: IncomingMessage[],
  extra: { attachments?: AttachmentRecord[]; outcomes?: ImportOutcome[] } = {},
) {
  return { rows, attachments: extra.attachments ?? [], outcomes: extra.outcomes ?? rows.map(imported) };
}

/** An import page read at `readAt`, written at `now`. */
const importAt = (readAt: string, now = new Date().toISOString()) => ({ now, readAt, sharedInboxId: "default" });
/** A delta page seen at `now`. */
const liveAt = (now = new Date().toISOString()) => ({ now, sharedInboxId: "default" });

type Count = { folder: string; status: string; n: number };
const sortedCounts = (counts: Count[]) =>
  [...counts].sort((a, b) => a.folder.localeCompare(b.folder) || a.status.localeCompare(b.status));
const byGraphId = <T extends { graphId: string }>(items: T[]) =>
  [...items].sort((a, b) => a.graphId.localeCompare(b.graphId));
const item = (m: IncomingMessage) => ({ graphId: m.graph_id, folder: m.folder });

/** The attempts stored for a message's import item (the object answers statuses, not attempts). */
function attemptsOf(stub: Stub, graphId: string) {
  return runInDurableObject(
    stub,
    (_instance, state) =>
      state.storage.sql
        .exec<{ attempts: number }>("SELECT attempts FROM import_items WHERE graph_id = ?1", graphId)
        .one().attempts,
  );
}

describe("import outcomes in a mailbox object", () => {
  it("counts a failure once per execution and makes the third failed execution PERMANENTLY_FAILED", async () => {
    const { owner, stub } = mailboxObject();
    const first = await leaseOf(stub, owner);
    const ok = message();
    const flaky = message();
    const broken = message({ folder: "sentitems" });
    const page = importPage([ok], { outcomes: [imported(ok), failed(flaky), failed(broken, "Graph answered 404")] });
    await stub.writeImportPage(owner, first, page, importAt("2026-12-02T00:00:00.000Z"));
    // The same page redelivered within the execution: its failures are not counted again.
    await stub.writeImportPage(owner, first, page, importAt("2026-12-02T00:00:00.000Z"));
    expect(sortedCounts(await stub.importItemCounts(owner, first.executionId))).toEqual([
      { folder: "inbox", status: "FAILED", n: 1 },
      { folder: "inbox", status: "IMPORTED", n: 1 },
      { folder: "sentitems", status: "FAILED", n: 1 },
    ]);
    expect(await attemptsOf(stub, flaky.graph_id)).toBe(1);

    // Two retries, each an execution of its own that takes the FAILED items over, then fails them again (twice).
    let previous = first;
    for (const [attempts, status] of [
      [2, "FAILED"],
      [3, "PERMANENTLY_FAILED"],
    ] as const) {
      await stub.release(previous.executionId, previous.token);
      const retry = await leaseOf(stub, owner);
      const ids = [ok.graph_id, flaky.graph_id, broken.graph_id];
      const moved = await stub.moveFailedItems(owner, retry, previous.executionId, ids, new Date().toISOString());
      expect(moved?.sort()).toEqual([flaky.graph_id, broken.graph_id].sort());
      expect(sortedCounts(await stub.importItemCounts(owner, retry.executionId))).toEqual([
        { folder: "inbox", status: "PENDING", n: 1 },
        { folder: "sentitems", status: "PENDING", n: 1 },
      ]);
      const again = importPage([], { outcomes: [failed(flaky), failed(broken)] });
      await stub.writeImportPage(owner, retry, again, importAt("2026-12-03T00:00:00.000Z"));
      await stub.writeImportPage(owner, retry, again, importAt("2026-12-03T00:00:00.000Z"));
      expect(sortedCounts(await stub.importItemCounts(owner, retry.executionId))).toEqual([
        { folder: "inbox", status, n: 1 },
        { folder: "sentitems", status, n: 1 },
      ]);
      expect(await attemptsOf(stub, flaky.graph_id)).toBe(attempts);
      previous = retry;
    }
    // The imported message stayed with the first execution, imported.
    expect(await stub.findImportItems(owner, { status: "IMPORTED" })).toEqual([item(ok)]);
    expect(await stub.findImportItems(owner, { status: "FAILED" })).toEqual([]);
  });

  it("counts a message that has a row as imported even when this attempt failed; a tombstoned one as removed", async () => {
    const { owner, stub } = mailboxObject();
    const lease = await leaseOf(stub, owner);
    const stored = message();
    await stub.writeImportPage(owner, lease, importPage([stored]), importAt("2026-12-02T00:00:00.000Z"));
    // A later page lists it again and fails on it (its attachments, say): it has its row, so it is imported.
    const failing = importPage([], { outcomes: [failed(stored, "attachment fetch failed")] });
    await stub.writeImportPage(owner, lease, failing, importAt("2026-12-02T01:00:00.000Z"));
    expect(await stub.findImportItems(owner, { ids: [stored.graph_id], status: "IMPORTED" })).toEqual([item(stored)]);

    // A failed message live sync then wrote: its next failed attempt finds the row, so it is imported.
    const viaLive = message();
    await stub.writeImportPage(
      owner,
      lease,
      importPage([], { outcomes: [failed(viaLive)] }),
      importAt("2026-12-02T01:00:00.000Z"),
    );
    expect(await stub.findImportItems(owner, { status: "FAILED" })).toEqual([item(viaLive)]);
    const runId = await grantLiveRun(stub, owner);
    await stub.writeLivePage(owner, runId, livePage("inbox", { rows: [viaLive] }), liveAt());
    await stub.writeImportPage(
      owner,
      lease,
      importPage([], { outcomes: [failed(viaLive)] }),
      importAt("2026-12-02T02:00:00.000Z"),
    );
    expect(await stub.findImportItems(owner, { status: "FAILED" })).toEqual([]);

    // A message whose row is a tombstone (deleted meanwhile) counts as removed, whatever the attempt said.
    await stub.writeLivePage(owner, runId, livePage("inbox", { removed: [stored.graph_id] }), liveAt());
    await stub.writeImportPage(
      owner,
      lease,
      importPage([], { outcomes: [failed(stored)] }),
      importAt("2026-12-02T03:00:00.000Z"),
    );
    expect(sortedCounts(await stub.importItemCounts(owner, lease.executionId))).toEqual([
      { folder: "inbox", status: "IMPORTED", n: 1 },
      { folder: "inbox", status: "REMOVED", n: 1 },
    ]);
    expect(await stub.findImportItems(owner, { status: "REMOVED" })).toEqual([item(stored)]);
  });

  it("finds items by execution, status and Graph ids", async () => {
    const { owner, stub } = mailboxObject();
    const lease = await leaseOf(stub, owner);
    const ok = message();
    const bad = message();
    const badSent = message({ folder: "sentitems" });
    const page = importPage([ok], { outcomes: [imported(ok), failed(bad), failed(badSent)] });
    await stub.writeImportPage(owner, lease, page, importAt("2026-12-02T00:00:00.000Z"));

    const find = async (filter: Parameters<Stub["findImportItems"]>[1]) =>
      byGraphId(await stub.findImportItems(owner, filter));
    expect(await find({ executionId: lease.executionId })).toEqual(byGraphId([item(ok), item(bad), item(badSent)]));
    expect(await find({ executionId: lease.executionId, status: "FAILED" })).toEqual(
      byGraphId([item(bad), item(badSent)]),
    );
    expect(await find({ status: "FAILED", ids: [ok.graph_id, bad.graph_id] })).toEqual([item(bad)]);
    expect(await find({ ids: [ok.graph_id, "graph-unknown"] })).toEqual([item(ok)]);
    expect(await find({ ids: [] })).toEqual([]);
    expect(await find({ executionId: crypto.randomUUID() })).toEqual([]);
    expect(await find({ status: "PERMANENTLY_FAILED" })).toEqual([]);
  });

  it("moves a retry's FAILED items only under the new execution's current lease", async () => {
    const { owner, stub } = mailboxObject();
    const first = await leaseOf(stub, owner);
    const bad = message();
    const ok = message();
    const page = importPage([ok], { outcomes: [imported(ok), failed(bad)] });
    await stub.writeImportPage(owner, first, page, importAt("2026-12-02T00:00:00.000Z"));
    await stub.release(first.executionId, first.token);

    const retry = await leaseOf(stub, owner);
    const now = new Date().toISOString();
    // The ended execution's lease, and the retry's execution under a stale token: nothing moves.
    expect(await stub.moveFailedItems(owner, first, first.executionId, [bad.graph_id], now)).toBeNull();
    const staleToken = { executionId: retry.executionId, token: retry.token - 1 };
    expect(await stub.moveFailedItems(owner, staleToken, first.executionId, [bad.graph_id], now)).toBeNull();
    expect(await stub.findImportItems(owner, { executionId: first.executionId, status: "FAILED" })).toEqual([
      item(bad),
    ]);

    // The retry's lease: the FAILED item moves (the imported one does not), once.
    const ids = [bad.graph_id, ok.graph_id];
    expect(await stub.moveFailedItems(owner, retry, first.executionId, ids, now)).toEqual([bad.graph_id]);
    expect(await stub.moveFailedItems(owner, retry, first.executionId, ids, now)).toEqual([]);
    expect(await stub.findImportItems(owner, { executionId: retry.executionId, status: "PENDING" })).toEqual([
      item(bad),
    ]);
    expect(await stub.findImportItems(owner, { executionId: first.executionId })).toEqual([item(ok)]);

    // Released, the retry's lease moves nothing any more.
    await stub.release(retry.executionId, retry.token);
    expect(await stub.moveFailedItems(owner, retry, retry.executionId, [bad.graph_id], now)).toBeNull();
  });

  it("drops an ended execution's IMPORTED and REMOVED items and keeps its FAILED ones", async () => {
    const { owner, stub } = mailboxObject();
    const lease = await leaseOf(stub, owner);
    const runId = await grantLiveRun(stub, owner);
    const ok = message();
    const bad = message();
    const gone = message();
    const page = importPage([ok], { outcomes: [imported(ok), failed(bad)] });
    await stub.writeImportPage(owner, lease, page, importAt("2026-12-02T00:00:00.000Z"));
    await stub.writeLivePage(owner, runId, livePage("inbox", { removed: [gone.graph_id] }), liveAt());
    const all = [
      { folder: "inbox", status: "FAILED", n: 1 },
      { folder: "inbox", status: "IMPORTED", n: 1 },
      { folder: "inbox", status: "REMOVED", n: 1 },
    ];
    expect(sortedCounts(await stub.importItemCounts(owner, lease.executionId))).toEqual(all);
    await stub.release(lease.executionId, lease.token);

    // Another execution ending drops nothing of this one.
    await stub.dropEndedItems(owner, crypto.randomUUID());
    expect(sortedCounts(await stub.importItemCounts(owner, lease.executionId))).toEqual(all);

    await stub.dropEndedItems(owner, lease.executionId);
    await stub.dropEndedItems(owner, lease.executionId);
    expect(await stub.importItemCounts(owner, lease.executionId)).toEqual([
      { folder: "inbox", status: "FAILED", n: 1 },
    ]);
    expect(await stub.findImportItems(owner, { executionId: lease.executionId })).toEqual([item(bad)]);
    // The imported message is still imported: by its row.
    expect(await stub.hasMessage(owner, ok.graph_id)).toBe(true);
  });
});

describe("attachment rows in a mailbox object", () => {
  it("writes a page's attachment rows with its messages, found by Graph id, and reads them back", async () => {
    const { owner, stub } = mailboxObject();
    const lease = await leaseOf(stub, owner);
    const letter = message({ has_attachments: 1 });
    const invite = message({ has_attachments: 1 });
    const pdf = attachmentRecord(letter, { id: "att-pdf" });
    const logo = attachmentRecord(letter, {
      id: "att-logo",
      name: "logo.png",
      content_type: "image/png",
      size: 2048,
      content_id: "logo@contoso.example",
      is_inline: 1,
    });
    const meeting = attachmentRecord(invite, {
      id: "att-meeting",
      name: "Termin Zählerablesung",
      content_type: null,
      kind: "item",
      state: "skipped",
      skipped_reason: "An attached Outlook item (message, event or contact) is recorded as metadata only",
      r2_key: null,
      sha256: null,
    });
    // An attachment of a message the object holds no row of: nothing to attach it to.
    const stray = attachmentRecord(message(), { id: "att-stray" });
    const now = "2026-12-02T08:00:00.000Z";
    const page = importPage([letter, invite], { attachments: [pdf, logo, meeting, stray] });
    await stub.writeImportPage(owner, lease, page, importAt("2026-12-02T07:59:00.000Z", now));

    expect(await stub.messageAttachments(owner, letter.uid)).toEqual([
      {
        messageId: letter.uid,
        id: "att-logo",
        name: "logo.png",
        contentType: "image/png",
        size: 2048,
        contentId: "logo@contoso.example",
        isInline: true,
        kind: "file",
        state: "stored",
        skippedReason: null,
        r2Key: logo.r2_key,
        sha256: logo.sha256,
        createdAt: now,
      },
      expect.objectContaining({ messageId: letter.uid, id: "att-pdf", name: pdf.name, isInline: false }),
    ]);
    expect(await stub.findAttachment(owner, invite.uid, "att-meeting")).toMatchObject({
      kind: "item",
      state: "skipped",
      skippedReason: meeting.skipped_reason,
      r2Key: null,
    });
    expect(await stub.findAttachment(owner, letter.uid, "att-meeting")).toBeNull();
    const rows = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM attachments").one(),
    );
    expect(rows.n).toBe(3);

    // The page redelivered with the message converted again (a new uid): its rows go to the stored message.
    const renamed = { ...letter, uid: crypto.randomUUID() };
    const again = importPage([renamed], { attachments: [{ ...pdf, name: "Zählerfoto März (2).pdf" }] });
    await stub.writeImportPage(owner, lease, again, importAt("2026-12-02T09:00:00.000Z"));
    expect(await stub.findAttachment(owner, letter.uid, "att-pdf")).toMatchObject({
      name: "Zählerfoto März (2).pdf",
      createdAt: now,
    });
    expect(await stub.messageAttachments(owner, renamed.uid)).toEqual([]);

    // A delta page's new message brings its attachment rows too.
    const runId = await grantLiveRun(stub, owner);
    const reply = message({ has_attachments: 1 });
    const scan = attachmentRecord(reply, { id: "att-scan" });
    await stub.writeLivePage(owner, runId, livePage("inbox", { rows: [reply], attachments: [scan] }), liveAt());
    expect((await stub.messageAttachments(owner, reply.uid)).map((a) => a.id)).toEqual(["att-scan"]);
  });

  it("drops a tombstoned message's attachment rows and never attaches a stale page's rows to a tombstone", async () => {
    const { owner, stub } = mailboxObject();
    const lease = await leaseOf(stub, owner);
    const runId = await grantLiveRun(stub, owner);
    const deleted = message({ has_attachments: 1 });
    const kept = message({ has_attachments: 1 });
    const page = importPage([deleted, kept], {
      attachments: [attachmentRecord(deleted, { id: "att-1" }), attachmentRecord(kept, { id: "att-2" })],
    });
    await stub.writeImportPage(owner, lease, page, importAt("2026-12-02T00:00:00.000Z"));

    const removal = livePage("inbox", { removed: [deleted.graph_id] });
    const written = await stub.writeLivePage(owner, runId, removal, liveAt("2026-12-02T12:00:00.000Z"));
    expect(written.tombstoned).toEqual([deleted.graph_id]);
    expect(await stub.messageAttachments(owner, deleted.uid)).toEqual([]);
    expect(await stub.findAttachment(owner, deleted.uid, "att-1")).toBeNull();
    expect((await stub.messageAttachments(owner, kept.uid)).map((a) => a.id)).toEqual(["att-2"]);

    // An import page read before the deletion lists the message with an attachment: no row, nothing attached.
    const stale = importPage([{ ...deleted, uid: crypto.randomUUID() }], {
      attachments: [attachmentRecord(deleted, { id: "att-3" })],
    });
    const result = await stub.writeImportPage(owner, lease, stale, importAt("2026-12-02T06:00:00.000Z"));
    expect(result).toMatchObject({ written: [], withoutRow: [deleted.graph_id] });
    expect(await stub.messageAttachments(owner, deleted.uid)).toEqual([]);
    // Nor does an older delta copy (it does not bring the message back).
    const older = { ...deleted, graph_modified_at: "2026-11-01T00:00:00.000Z" };
    const olderPage = livePage("inbox", { rows: [older], attachments: [attachmentRecord(deleted, { id: "att-4" })] });
    const late = await stub.writeLivePage(owner, runId, olderPage, liveAt());
    expect(late).toMatchObject({ written: [], withoutRow: [deleted.graph_id] });
    expect(await stub.messageAttachments(owner, deleted.uid)).toEqual([]);
    expect(await stub.messageCounts(owner)).toEqual({ listed: 1, tombstones: 1 });
  });
});

describe("a mailbox object's delta pages", () => {
  it("writes a delta page only for the live run it granted and that is still current", async () => {
    const { owner, stub } = mailboxObject();
    const early = message();
    const page = livePage("inbox", { rows: [early] });
    // Before live sync started: no run is current.
    expect(await stub.writeLivePage(owner, "run-never-granted", page, liveAt())).toEqual({
      refused: true,
      written: [],
      withoutRow: [],
      tombstoned: [],
      events: 0,
    });
    const replaced = await grantLiveRun(stub, owner);
    const current = await grantLiveRun(stub, owner);
    expect((await stub.writeLivePage(owner, replaced, page, liveAt())).refused).toBe(true);
    expect(await stub.hasMessage(owner, early.graph_id)).toBe(false);

    expect(await stub.writeLivePage(owner, current, page, liveAt())).toEqual({
      refused: false,
      written: [{ id: early.uid, graph_id: early.graph_id, folder: "inbox" }],
      withoutRow: [],
      tombstoned: [],
      events: 1,
    });

    // Disconnected: the run's late pages (a removal too) write nothing.
    await stub.disableLive();
    const late = livePage("inbox", { rows: [message()], removed: [early.graph_id] });
    expect((await stub.writeLivePage(owner, current, late, liveAt())).refused).toBe(true);
    expect(await stub.messageCounts(owner)).toEqual({ listed: 1, tombstones: 0 });
  });

  it("keeps a removal of a message without a row from the running import: a page read before it does not write it", async () => {
    const { owner, stub } = mailboxObject();
    const lease = await leaseOf(stub, owner);
    const runId = await grantLiveRun(stub, owner);
    const listed = message();
    await stub.writeImportPage(owner, lease, importPage([listed]), importAt("2026-12-02T08:00:00.000Z"));

    // At 10:00 live sync sees three messages leave: two the import has not written yet, one it has.
    const gone = message();
    const movedHere = message();
    const removal = await stub.writeLivePage(
      owner,
      runId,
      livePage("inbox", { removed: [gone.graph_id, listed.graph_id] }),
      liveAt("2026-12-02T10:00:00.000Z"),
    );
    expect(removal).toMatchObject({ refused: false, tombstoned: [listed.graph_id] });
    await stub.writeLivePage(
      owner,
      runId,
      livePage("sentitems", { removed: [movedHere.graph_id] }),
      liveAt("2026-12-02T10:00:00.000Z"),
    );
    expect(byGraphId(await stub.findImportItems(owner, { executionId: lease.executionId, status: "REMOVED" }))).toEqual(
      byGraphId([item(gone), { graphId: movedHere.graph_id, folder: "sentitems" }]),
    );

    // The import's inbox page read at 09:00: its copy of `gone` is stale; `movedHere` left Sent Items, not the inbox.
    const stale = await stub.writeImportPage(
      owner,
      lease,
      importPage([gone, movedHere], { attachments: [attachmentRecord(gone)] }),
      importAt("2026-12-02T09:00:00.000Z", "2026-12-02T11:00:00.000Z"),
    );
    expect(stale.written).toEqual([{ id: movedHere.uid, graph_id: movedHere.graph_id, folder: "inbox" }]);
    expect(stale.withoutRow).toEqual([gone.graph_id]);
    expect(await stub.hasMessage(owner, gone.graph_id)).toBe(false);
    expect(await stub.messageAttachments(owner, gone.uid)).toEqual([]);
    expect(await stub.findImportItems(owner, { status: "REMOVED" })).toEqual([item(gone)]);
    expect(await stub.pendingMessageEvents(owner, 10)).toHaveLength(2);

    // A page read at 10:30, after the removal (the message is back in the inbox), writes it.
    const back = { ...gone, uid: crypto.randomUUID() };
    const fresh = await stub.writeImportPage(
      owner,
      lease,
      importPage([back]),
      importAt("2026-12-02T10:30:00.000Z", "2026-12-02T11:00:00.000Z"),
    );
    expect(fresh).toMatchObject({
      written: [{ id: back.uid, graph_id: gone.graph_id, folder: "inbox" }],
      withoutRow: [],
    });
    expect(await stub.findMessage(owner, back.uid)).toMatchObject({ graph_id: gone.graph_id });
  });

  it("keeps no removal when no import holds the lease (none, or the move's)", async () => {
    const { owner, stub } = mailboxObject();
    const runId = await grantLiveRun(stub, owner);
    const unknown = message();
    await stub.writeLivePage(owner, runId, livePage("inbox", { removed: [unknown.graph_id] }), liveAt());
    const move = await leaseOf(stub, owner, `${MOVE_PREFIX}${crypto.randomUUID()}`);
    await stub.writeLivePage(owner, runId, livePage("inbox", { removed: [unknown.graph_id] }), liveAt());
    expect(await stub.findImportItems(owner, { ids: [unknown.graph_id] })).toEqual([]);
    expect(await stub.importItemCounts(owner, move.executionId)).toEqual([]);
  });

  it("marks what a resync round lists; its sweep page tombstones the folder's unmarked rows in the window only", async () => {
    const { owner, stub } = mailboxObject();
    const runId = await grantLiveRun(stub, owner);
    const inWindow = (day: string, extra: Partial<IncomingMessage> = {}) =>
      message({ sort_at: `2026-12-${day}T10:00:00.000Z`, ...extra });
    const listedA = inWindow("03");
    const listedB = inWindow("04");
    const deletedMeanwhile = inWindow("05", { has_attachments: 1 });
    const beforeWindow = message({ sort_at: "2026-11-20T10:00:00.000Z" });
    const afterWindow = message({ sort_at: "2026-12-09T10:00:00.000Z" });
    const sent = inWindow("04", { folder: "sentitems" });
    const rows = [listedA, listedB, deletedMeanwhile, beforeWindow, afterWindow, sent];
    const attachment = attachmentRecord(deletedMeanwhile, { id: "att-gone" });
    await stub.writeLivePage(
      owner,
      runId,
      livePage("inbox", { rows, attachments: [attachment] }),
      liveAt("2026-12-06T00:00:00.000Z"),
    );
    // Written after the round started (a later run's page): left to the next round.
    const writtenLater = inWindow("05");
    await stub.writeLivePage(
      owner,
      runId,
      livePage("inbox", { rows: [writtenLater] }),
      liveAt("2026-12-08T12:00:00.000Z"),
    );

    const round = { round: "resync-1", since: "2026-12-01T00:00:00.000Z", startedAt: "2026-12-08T00:00:00.000Z" };
    const first = livePage("inbox", { resync: { ...round, present: [listedA.graph_id, sent.graph_id], sweep: false } });
    expect((await stub.writeLivePage(owner, runId, first, liveAt("2026-12-08T01:00:00.000Z"))).tombstoned).toEqual([]);
    const changedB = { ...listedB, subject: "AW: Zählerstand", graph_modified_at: "2026-12-07T00:00:00.000Z" };
    const last = livePage("inbox", {
      rows: [changedB],
      resync: { ...round, present: [listedB.graph_id], sweep: true },
    });
    const swept = await stub.writeLivePage(owner, runId, last, liveAt("2026-12-08T02:00:00.000Z"));
    expect(swept.tombstoned).toEqual([deletedMeanwhile.graph_id]);

    expect(await stub.findMessage(owner, deletedMeanwhile.uid)).toBeNull();
    expect(await stub.messageAttachments(owner, deletedMeanwhile.uid)).toEqual([]);
    for (const kept of [listedA, listedB, beforeWindow, afterWindow, sent, writtenLater]) {
      expect(await stub.findMessage(owner, kept.uid)).not.toBeNull();
    }
    expect((await stub.findMessage(owner, listedB.uid))?.subject).toBe("AW: Zählerstand");
    expect(await stub.messageCounts(owner)).toEqual({ listed: 6, tombstones: 1 });

    // The sweep page replayed: the round's marks still hold, nothing more goes.
    expect((await stub.writeLivePage(owner, runId, last, liveAt("2026-12-08T03:00:00.000Z"))).tombstoned).toEqual([]);
  });
});

describe("a mailbox object's answers about removals", () => {
  it("names the removals worth a lookup in Graph, the messages without a listed row, and those it has a row of", async () => {
    const { owner, stub } = mailboxObject();
    const runId = await grantLiveRun(stub, owner);
    const old = message({ sort_at: "2026-11-01T10:00:00.000Z" });
    const recent = message({ sort_at: "2026-12-05T10:00:00.000Z" });
    const oldSent = message({ sort_at: "2026-11-01T10:00:00.000Z", folder: "sentitems" });
    const deleted = message({ sort_at: "2026-11-01T10:00:00.000Z" });
    const unknown = "graph-unknown-message";
    await stub.writeLivePage(owner, runId, livePage("inbox", { rows: [old, recent, oldSent, deleted] }), liveAt());
    await stub.writeLivePage(owner, runId, livePage("inbox", { removed: [deleted.graph_id] }), liveAt());

    const removed = [old.graph_id, recent.graph_id, oldSent.graph_id, deleted.graph_id, unknown];
    const windowStart = "2026-12-01T00:00:00.000Z";
    const lookups = async (folder: "inbox" | "sentitems", start: string | null = windowStart) =>
      (await stub.removalsWorthALookup(owner, folder, removed, start)).sort();
    // Stored in this folder before the live window: yes; in it, in another folder or a tombstone: no.
    expect(await lookups("inbox")).toEqual([old.graph_id]);
    expect(await lookups("sentitems")).toEqual([oldSent.graph_id]);
    expect(await lookups("inbox", null)).toEqual([old.graph_id, recent.graph_id].sort());

    // No row: only while an import holds the lease (the move's lease is no import).
    const move = await leaseOf(stub, owner, `${MOVE_PREFIX}${crypto.randomUUID()}`);
    expect(await lookups("inbox")).toEqual([old.graph_id]);
    await stub.release(move.executionId, move.token);
    const lease = await leaseOf(stub, owner);
    expect(await lookups("inbox")).toEqual([old.graph_id, unknown].sort());
    await stub.release(lease.executionId, lease.token);
    expect(await lookups("inbox")).toEqual([old.graph_id]);

    const ids = [old.graph_id, oldSent.graph_id, deleted.graph_id, unknown];
    expect((await stub.messagesWithoutRow(owner, ids)).sort()).toEqual([deleted.graph_id, unknown].sort());
    expect(await stub.hasMessage(owner, old.graph_id)).toBe(true);
    expect(await stub.hasMessage(owner, deleted.graph_id)).toBe(true);
    expect(await stub.hasMessage(owner, unknown)).toBe(false);
  });
});

describe("D1's rows taken over by a mailbox object", () => {
  it("adopts messages with their attachment rows and import items, keeping ids; what the object holds stays", async () => {
    const { owner, stub } = mailboxObject();
    // Before the move, live sync wrote a newer copy of one message (with its attachment), the import an item.
    const runId = await grantLiveRun(stub, owner);
    const newer = message({ subject: "newer in the object", graph_modified_at: "2026-12-05T00:00:00.000Z" });
    const objectCopy = attachmentRecord(newer, { id: "att-shared", name: "im Objekt.pdf" });
    await stub.writeLivePage(owner, runId, livePage("inbox", { rows: [newer], attachments: [objectCopy] }), liveAt());
    const lease = await leaseOf(stub, owner);
    const importedHere = message();
    await stub.writeImportPage(owner, lease, importPage([importedHere]), importAt("2026-12-06T00:00:00.000Z"));

    const kept = message({ has_attachments: 1 });
    const d1Item = (m: { graph_id: string }, status: MovedItem["status"]): MovedItem => ({
      graph_id: m.graph_id,
      execution_id: "exec-from-d1",
      folder: "inbox",
      status,
      attempts: 2,
      attempted_in: "exec-from-d1",
      last_error: "Graph answered 503",
      updated_at: "2026-11-30T00:00:00.000Z",
    });
    const failedInD1 = message();
    const adoption = {
      messages: [d1MessageRow(kept), d1MessageRow({ ...newer, subject: "older in D1" })],
      attachments: [
        d1AttachmentRow(kept.uid, { id: "att-1" }),
        d1AttachmentRow(newer.uid, { id: "att-shared", name: "in D1.pdf" }),
      ],
      items: [d1Item(failedInD1, "FAILED"), d1Item(importedHere, "FAILED")],
    };
    const first = await stub.adoptMessages(owner, { lease }, adoption);
    if (!first) throw new Error("the adoption was refused");
    expect(first.added).toEqual([kept.uid]);
    expect(first.held.sort()).toEqual([kept.uid, newer.uid].sort());
    expect(await stub.findMessage(owner, kept.uid)).toMatchObject({ execution_id: "exec-from-d1" });
    expect(await stub.messageAttachments(owner, kept.uid)).toEqual([
      expect.objectContaining({ messageId: kept.uid, id: "att-1", createdAt: "2026-11-30T00:00:00.000Z" }),
    ]);
    expect(await stub.findMessage(owner, newer.uid)).toMatchObject({ subject: "newer in the object" });
    expect(await stub.findAttachment(owner, newer.uid, "att-shared")).toMatchObject({ name: "im Objekt.pdf" });
    expect(await stub.findImportItems(owner, { executionId: "exec-from-d1" })).toEqual([item(failedInD1)]);
    expect(await stub.findImportItems(owner, { ids: [importedHere.graph_id], status: "IMPORTED" })).toEqual([
      item(importedHere),
    ]);

    // The move again (resumed after a crash): nothing added twice.
    const again = await stub.adoptMessages(owner, { lease }, adoption);
    expect({ added: again?.added, held: again?.held.sort() }).toEqual({ added: [], held: first.held });
    expect(await stub.messageAttachments(owner, kept.uid)).toHaveLength(1);
    expect(await stub.importItemCounts(owner, "exec-from-d1")).toEqual([{ folder: "inbox", status: "FAILED", n: 1 }]);
    expect(await stub.messageCounts(owner)).toEqual({ listed: 3, tombstones: 0 });

    // The adopted item is retried like any other, its attempts carried over: D1's two and this one make three.
    await stub.release(lease.executionId, lease.token);
    const retry = await leaseOf(stub, owner);
    const now = new Date().toISOString();
    expect(await stub.moveFailedItems(owner, retry, "exec-from-d1", [failedInD1.graph_id], now)).toEqual([
      failedInD1.graph_id,
    ]);
    const failing = importPage([], { outcomes: [failed(failedInD1)] });
    await stub.writeImportPage(owner, retry, failing, importAt("2026-12-07T00:00:00.000Z"));
    expect(await stub.importItemCounts(owner, retry.executionId)).toEqual([
      { folder: "inbox", status: "PERMANENTLY_FAILED", n: 1 },
    ]);
  });

  it("an import page adopting its message's D1 row keeps that row's id: no second row, no second message.received", async () => {
    const { owner, stub } = mailboxObject();
    const lease = await leaseOf(stub, owner);
    const inD1 = message();
    // The import converted the message again, under a fresh uid; D1 has it under its own id.
    const pageCopy = { ...inD1, uid: crypto.randomUUID() };
    const fresh = message();
    const page = {
      ...importPage([pageCopy, fresh], { attachments: [attachmentRecord(inD1, { id: "att-page" })] }),
      adopt: {
        messages: [d1MessageRow(inD1)],
        attachments: [d1AttachmentRow(inD1.uid, { id: "att-d1" })],
        items: [],
      },
    };
    const at = importAt("2026-12-02T00:00:00.000Z", "2026-12-02T00:00:00.000Z");
    const result = await stub.writeImportPage(owner, lease, page, at);
    expect(result).toEqual({
      refused: false,
      written: [{ id: fresh.uid, graph_id: fresh.graph_id, folder: "inbox" }],
      inserted: 1,
      withoutRow: [],
      events: 1,
    });
    expect(await stub.findMessage(owner, inD1.uid)).toMatchObject({
      graph_id: inD1.graph_id,
      execution_id: "exec-from-d1",
    });
    expect(await stub.findMessage(owner, pageCopy.uid)).toBeNull();
    expect(await stub.messageCounts(owner)).toEqual({ listed: 2, tombstones: 0 });
    expect((await stub.pendingMessageEvents(owner, 10)).map((event) => event.id)).toEqual([
      `msg_${fresh.uid.replaceAll("-", "")}`,
    ]);
    expect((await stub.messageAttachments(owner, inD1.uid)).map((a) => a.id)).toEqual(["att-d1", "att-page"]);
    expect(
      byGraphId(await stub.findImportItems(owner, { executionId: lease.executionId, status: "IMPORTED" })),
    ).toEqual(byGraphId([item(inD1), item(fresh)]));

    // Redelivered: nothing new.
    const again = await stub.writeImportPage(owner, lease, page, at);
    expect(again).toMatchObject({ written: [], inserted: 0, events: 0 });
    expect(await stub.messageCounts(owner)).toEqual({ listed: 2, tombstones: 0 });
    expect(await stub.pendingMessageEvents(owner, 10)).toHaveLength(1);
  });

  it("a delta page adopting its message's D1 row applies its newer copy under D1's id, with no message.received", async () => {
    const { owner, stub } = mailboxObject();
    const runId = await grantLiveRun(stub, owner);
    const inD1 = message({ graph_modified_at: "2026-12-01T10:00:00.000Z" });
    const changed = {
      ...inD1,
      uid: crypto.randomUUID(),
      subject: "AW: Zählerstand März",
      graph_modified_at: "2026-12-01T12:00:00.000Z",
    };
    const page = {
      ...livePage("inbox", { rows: [changed] }),
      adopt: { messages: [d1MessageRow(inD1)], attachments: [], items: [] },
    };
    const result = await stub.writeLivePage(owner, runId, page, liveAt());
    expect(result).toMatchObject({
      refused: false,
      written: [{ id: inD1.uid, graph_id: inD1.graph_id, folder: "inbox" }],
      events: 0,
    });
    expect(await stub.findMessage(owner, inD1.uid)).toMatchObject({ subject: "AW: Zählerstand März" });
    expect(await stub.findMessage(owner, changed.uid)).toBeNull();
    expect(await stub.pendingMessageEvents(owner, 10)).toEqual([]);
  });
});
