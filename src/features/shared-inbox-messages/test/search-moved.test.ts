import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { uniqueOrg } from "@test/helpers/api";
import { connectedMailbox } from "@test/helpers/fixtures";
import { allMessages, connect, harness, startSync, status } from "@test/helpers/mailbox-harness";
import { d1MessageRow, incomingMessage, withoutLiveSync } from "@test/helpers/mailbox-object";
import { addAttachments } from "@test/helpers/message-store";
import { inMailboxObject } from "@test/helpers/rows";
import { addFakeGraphMail, objectMailbox, searchAll, subjectsFound } from "@test/helpers/search";
import { describe, expect, it } from "vitest";
import { servicesFor } from "@/entry/services";
import { moveMailboxMail } from "@/features/mailboxes/move";
import { lockStub } from "@/features/mailboxes/sync/lock-stub";

/**
 * Mail imported into D1 (a mailbox from before the mailbox objects) becomes searchable once moved into its object:
 * while in D1 a search with words skips it (filters alone apply); moved rows carry no text, so words find them only
 * once the object's alarm has indexed them from R2 (50 per alarm), bodies, ß and attachment names included.
 */

const GENERATED = 56;

/** A mailbox whose mail (56 generated + 3 sent + one letter with an attachment) a sync imported into D1. */
async function syncedInD1() {
  const h = harness();
  const m = await connectedMailbox(h.api, {
    name: "search-move",
    spec: { inbox: GENERATED, sentitems: 3, attachment_percent: 20, attachment_bytes: 300 },
    connect: false,
  });
  const letter = await addFakeGraphMail(m.email, {
    subject: "Umzug ins Erdgeschoss",
    from: "hausmeister@wohnbau.example",
    body_html: "<p>Der Kellerschlüssel liegt bei Frau Straßburger.</p><style>.unsichtbar { color: red }</style>",
    received: new Date(Date.now() - 5 * 60_000).toISOString(),
  });
  await addAttachments(m.email, letter.id, [{ name: "Grundriss Erdgeschoss.pdf", size: 500 }]);
  await connect(h.api, m.org, m.email);
  await withoutLiveSync(m.org, m.email);
  // Its mail goes to D1, as for a mailbox connected before the mailbox objects.
  await env.DB.prepare("DELETE FROM mailbox_stores WHERE org_id = ?1 AND mailbox = ?2").bind(m.org, m.email).run();
  expect((await startSync(h.api, m.org, m.email)).status).toBe(202);
  await h.drain();
  expect((await status(h.api, m.org, m.email)).status).toBe("COMPLETED");
  const services = servicesFor({ ...h.workerEnv });
  const scope = { orgId: m.org, mailbox: m.email, inboxId: "default" };
  return { ...h, ...m, letter, services, scope, stub: lockStub(services, m.org, m.email) };
}

type Moved = Awaited<ReturnType<typeof syncedInD1>>;

/** The object's listed rows not indexed yet. */
const unindexed = (m: Moved) =>
  inMailboxObject(m.org, m.email, (sql) =>
    sql
      .exec<{ id: string }>("SELECT id FROM messages WHERE search_indexed = 0 AND deleted_at IS NULL")
      .toArray()
      .map((row) => row.id),
  );

/** Runs the object's alarm until nothing waits to be indexed; answers how many alarms it ran. */
async function indexEverything(m: Moved) {
  let ran = 0;
  for (let i = 0; i < 10 && (await unindexed(m)).length > 0; i++) {
    if (await runDurableObjectAlarm(m.stub)) ran++;
  }
  expect(await unindexed(m)).toEqual([]);
  return ran;
}

const found = async (m: Moved, params: Record<string, string>) =>
  (await searchAll(m.org, params, 100, "default", m.api as never)).messages;

describe("mail moved in from D1 becomes searchable", { timeout: 60_000 }, () => {
  it("in D1 words skip it and filters find it; moved, the alarm indexes it from R2 and words find it", async () => {
    const m = await syncedInD1();
    const before = await allMessages(m.api, m.org, "default", 100);
    expect(before).toHaveLength(GENERATED + 3 + 1);

    // Still in D1: a search with words skips it (documented), filters alone find it.
    expect(await found(m, { q: "kellerschlüssel" })).toEqual([]);
    expect((await found(m, { from: "hausmeister@wohnbau.example" })).map((x) => x.graph_id)).toEqual([m.letter.id]);

    // Half moved: only what the object holds and has indexed is found by words.
    expect(await moveMailboxMail(m.services, m.scope, { chunks: 1, chunkRows: 5 })).toMatchObject({ state: "moving" });
    const early = await found(m, { q: '"body of message"' });
    const waiting = new Set(await unindexed(m));
    for (const x of early) expect(waiting.has(x.id), `${x.id} found before it was indexed`).toBe(false);
    await indexEverything(m);
    const held = await inMailboxObject(m.org, m.email, (sql) =>
      sql.exec<{ id: string; subject: string }>("SELECT id, subject FROM messages WHERE deleted_at IS NULL").toArray(),
    );
    expect(held).toHaveLength(5);
    const heldGenerated = held.filter((row) => row.subject !== "Umzug ins Erdgeschoss").map((row) => row.id);
    expect((await found(m, { q: '"body of message"' })).map((x) => x.id).sort()).toEqual(heldGenerated.sort());

    // The rest moved: words find nothing the alarm has not indexed yet.
    expect(await moveMailboxMail(m.services, m.scope, { chunks: 10, chunkRows: 100 })).toMatchObject({
      state: "object",
    });
    const right = await found(m, { q: '"body of message"' });
    const notYet = new Set(await unindexed(m));
    for (const x of right) expect(notYet.has(x.id), `${x.id} found before it was indexed`).toBe(false);

    // 55 rows wait (more than one alarm's 50): the alarms index them all, bodies read from R2.
    await indexEverything(m);
    const letterOnly = [m.letter.id];
    for (const q of ["kellerschlüssel", "strassburger", "Straßburger", "grundriss", "hausmeister", "erdgeschoss"]) {
      expect(
        (await found(m, { q })).map((x) => x.graph_id),
        q,
      ).toEqual(letterOnly);
    }
    expect(await found(m, { q: "unsichtbar" })).toEqual([]);
    const bodies = await found(m, { q: '"body of message"' });
    expect(bodies).toHaveLength(GENERATED + 3);
    // Generated attachments are named invoice-<n>.pdf: found by name, exactly the mail with attachments.
    const invoices = (await found(m, { q: "invoice pdf" })).map((x) => x.id).sort();
    const withAttachments = await inMailboxObject(m.org, m.email, (sql) =>
      sql
        .exec<{ id: string }>("SELECT id FROM messages WHERE has_attachments = 1 AND subject NOT LIKE 'Umzug%'")
        .toArray()
        .map((row) => row.id),
    );
    expect(withAttachments.length).toBeGreaterThan(0);
    expect(invoices).toEqual(withAttachments.sort());
    // Same ids and order as before the move; words and filters together.
    expect((await allMessages(m.api, m.org, "default", 100)).map((x) => x.id)).toEqual(before.map((x) => x.id));
    expect(await found(m, { q: '"body of message"', folder: "sentitems" })).toHaveLength(3);
  });
});

describe("mail moved in from D1: the alarm's indexing and live changes at the same time", () => {
  // The alarm reads its batch, then waits on R2 for the bodies; a live page may write one of those rows meanwhile
  // (and index its newer copy), which the alarm must not overwrite with what it read before.
  it("a moved-in message updated while the alarm indexes the backlog is found by its new subject, not its old", async () => {
    // The interleaving depends on when the runtime delivers the live page: three tries, each must be right.
    for (let attempt = 0; attempt < 3; attempt++) {
      const org = uniqueOrg("search-race");
      const box = await objectMailbox(org, "race@contoso.example");
      const rows = [0, 1, 2].map((i) =>
        incomingMessage({ subject: `Altbetreff ${i}`, sort_at: `2026-12-01T10:00:0${i}.000Z` }),
      );
      const adoption = { messages: rows.map((row) => d1MessageRow(row)), attachments: [], items: [] };
      expect((await box.stub.adoptMessages(box.owner, { runId: box.runId }, adoption))?.added).toHaveLength(3);
      // Graph's newer versions of the three (a subject edited), written as live sync writes them.
      const newer = rows.map((row) => ({
        ...row,
        uid: crypto.randomUUID(),
        subject: (row.subject ?? "").replace("Alt", "Neu"),
        graph_modified_at: "2026-12-02T00:00:00.000Z",
        search_body: "",
      }));
      await Promise.all([runDurableObjectAlarm(box.stub), box.write("inbox", { rows: newer })]);
      // The listing shows the new subjects; the search must agree.
      expect((await searchAll(org, {})).messages.map((m) => m.subject).sort()).toEqual([
        "Neubetreff 0",
        "Neubetreff 1",
        "Neubetreff 2",
      ]);
      expect(await subjectsFound(org, "neubetreff"), `attempt ${attempt}`).toEqual([
        "Neubetreff 0",
        "Neubetreff 1",
        "Neubetreff 2",
      ]);
      expect(await subjectsFound(org, "altbetreff"), `attempt ${attempt}`).toEqual([]);
    }
  });
});
