import { connectedMailbox } from "@test/helpers/fixtures";
import { type LiveApi, listedIds, liveApi, liveStatus, waitFor } from "@test/helpers/live-harness";
import {
  addGraphMessage,
  deleteGraphMessage,
  graphStats,
  harness,
  moveGraphMessage,
  patchMailbox,
  type SeededMessage,
  status,
} from "@test/helpers/mailbox-harness";
import { bucketObjects } from "@test/helpers/message-store";
import { importItemRows, messageRow, messageRows, tombstoneMessage } from "@test/helpers/rows";
import { describe, expect, it } from "vitest";
import { messagePrefix } from "@/db/message-store/keys";

/**
 * Live sync and the first import run side by side: a message the import has read (its page is not written
 * yet) and that is then deleted in the mailbox must not be imported. The fake Graph holds the import's page
 * answers (worked out before the deletion) until the live run after the deletion has finished.
 */

const POLL_BOUND_MS = 1_000 + 10_000;

async function removedItems(org: string) {
  return (await importItemRows(org, "status")).filter((item) => item.status === "REMOVED").length;
}

/** A live mailbox with `inbox` messages received before the connect, once its 1-month import has listed them. */
async function importedMailbox(api: LiveApi, name: string, inbox: number) {
  const mailbox = await connectedMailbox(api, { name, spec: { inbox }, connect: { mailboxSyncTimeframe: "1m" } });
  await waitFor("the import", async () => (await listedIds(api, mailbox.org)).length === inbox, POLL_BOUND_MS);
  return { ...mailbox, first: mailbox.messages[0] as SeededMessage };
}

/** Waits until a live run that started after `since` has finished. */
async function liveRunAfter(api: ReturnType<typeof liveApi>, org: string, email: string, since: number) {
  await waitFor(
    "a live run after the change",
    async () => {
      const last = (await liveStatus(api, org, email)).last_delta_at;
      return last !== null && Date.parse(last) > since + 2_500;
    },
    POLL_BOUND_MS,
  );
}

/**
 * A mailbox (3 Inbox messages, 1 in Sent Items, all received before the connect) whose import has read both
 * folders' first pages, held by the fake Graph until `hold: []`. The import's queue tasks are delivered by the
 * test (held pages would stall the real queue's consumer); live sync runs as in production, from the
 * mailbox's Durable Object through the real queue.
 */
async function importWithHeldPages() {
  const h = harness({ MAILBOX_POLL_INTERVAL_SECONDS: "1", MAILBOX_BACKSTOP_POLL_SECONDS: "3600" } as never);
  const api = liveApi();
  const {
    org,
    email,
    messages: seeded,
  } = await connectedMailbox(h.api, {
    name: "race",
    spec: { inbox: 3, sentitems: 1 },
    connect: { mailboxSyncTimeframe: "1m" },
  });
  await waitFor("live sync", async () => (await liveStatus(api, org, email)).last_delta_at !== null, POLL_BOUND_MS);
  await patchMailbox(email, { hold: ["page"] });
  const importing = h.drain();
  await waitFor(
    "the import's pages",
    async () => ((await graphStats(email)).stats as { held?: number }).held === 2,
    POLL_BOUND_MS,
  );
  return { h, api, org, email, seeded, importing };
}

describe("live sync during the import", { timeout: 60_000 }, () => {
  it("a message deleted after the import read its page is not imported, counted or stored", async () => {
    const { h, api, org, email, seeded, importing } = await importWithHeldPages();
    const [gone, ...kept] = seeded.filter((m) => m.folder === "inbox") as [SeededMessage, ...SeededMessage[]];
    await deleteGraphMessage(email, gone.id);
    await liveRunAfter(api, org, email, Date.now());
    await patchMailbox(email, { hold: [] });
    await importing;

    const sync = await status(h.api, org, email);
    expect(sync.status).toBe("COMPLETED");
    expect(sync.inbox).toMatchObject({
      status: "COMPLETED",
      total_messages: 2,
      processed_messages: 2,
      failed_messages: 0,
    });
    expect(sync.sent_items).toMatchObject({ total_messages: 1, processed_messages: 1 });
    const listed = await listedIds(api, org);
    expect(listed).not.toContain(gone.id);
    expect(listed).toEqual(expect.arrayContaining(kept.map((m) => m.id)));
    expect(await messageRows(org, { graphId: gone.id })).toHaveLength(0);
    // What the import stored for it before its write was skipped is removed again; the others' content stays.
    expect((await bucketObjects(await messagePrefix({ orgId: org, mailbox: email, graphId: gone.id }))).size).toBe(0);
    const keptPrefix = await messagePrefix({ orgId: org, mailbox: email, graphId: kept[0]?.id ?? "" });
    expect((await bucketObjects(keptPrefix)).size).toBeGreaterThan(0);
    // The removal's record only lived as long as the import.
    expect(await removedItems(org)).toBe(0);
  });

  it("a message moved from Inbox to Sent Items after the import read both pages is imported once, in Sent Items", async () => {
    const { h, api, org, email, seeded, importing } = await importWithHeldPages();
    const [moved] = seeded.filter((m) => m.folder === "inbox") as [SeededMessage];
    await moveGraphMessage(email, moved.id, "sentitems");
    await liveRunAfter(api, org, email, Date.now());
    await patchMailbox(email, { hold: [] });
    await importing;

    expect((await status(h.api, org, email)).status).toBe("COMPLETED");
    const { messages } = (
      await api<{ messages: { graph_id: string; folder: string }[] }>(
        "GET",
        "/v2/email-settings/shared-inboxes/default/messages",
        { org },
      )
    ).body;
    expect(messages).toHaveLength(4);
    expect(messages.filter((m) => m.graph_id === moved.id).map((m) => m.folder)).toEqual(["sentitems"]);
    expect(await removedItems(org)).toBe(0);
  });

  it("mail that arrives and is deleted while the import holds it leaves no objects behind", async () => {
    const h = harness({ MAILBOX_POLL_INTERVAL_SECONDS: "1", MAILBOX_BACKSTOP_POLL_SECONDS: "3600" } as never);
    const api = liveApi();
    const { org, email } = await connectedMailbox(h.api, {
      name: "race",
      spec: { inbox: 1 },
      connect: { mailboxSyncTimeframe: "1m" },
    });
    // New mail: live sync stores it (row and objects) ...
    const arrived = await addGraphMessage(email, { folder: "inbox", subject: "here and gone" });
    await waitFor("live sync", async () => (await listedIds(api, org)).includes(arrived.id), POLL_BOUND_MS);
    // ... the import reads a page that holds it too, and before the import writes, it is deleted.
    await patchMailbox(email, { hold: ["page"] });
    const importing = h.drain();
    await waitFor(
      "the import's pages",
      async () => ((await graphStats(email)).stats as { held?: number }).held === 2,
      POLL_BOUND_MS,
    );
    await deleteGraphMessage(email, arrived.id);
    await waitFor("the deletion", async () => !(await listedIds(api, org)).includes(arrived.id), POLL_BOUND_MS);
    await patchMailbox(email, { hold: [] });
    await importing;

    const sync = await status(h.api, org, email);
    expect(sync.status).toBe("COMPLETED");
    // Deleted before the import wrote it: not counted (only the message received before the connect is).
    expect(sync.inbox).toMatchObject({ total_messages: 1, processed_messages: 1, failed_messages: 0 });
    const prefix = await messagePrefix({ orgId: org, mailbox: email, graphId: arrived.id });
    // The import's copy went onto a tombstone: what it stored again is removed (the tombstone keeps nothing).
    expect((await bucketObjects(prefix)).size).toBe(0);
  });

  it("after the import has ended, deleting mail it never imported (outside its timeframe) leaves nothing behind", async () => {
    const api = liveApi();
    // One message inside the import's month, one older (`old`): outside both the import and live sync's window.
    const {
      org,
      email,
      messages: seeded,
    } = await connectedMailbox(api, {
      name: "race",
      spec: { inbox: 1, old: 1 },
      connect: { mailboxSyncTimeframe: "1m" },
    });
    const old = seeded.find((m) => Date.parse(m.receivedDateTime) < Date.now() - 60 * 86_400_000) as SeededMessage;
    await waitFor(
      "the import's end",
      async () => (await status(api as never, org, email)).status === "COMPLETED",
      20_000,
    );
    await deleteGraphMessage(email, old.id);
    await liveRunAfter(api, org, email, Date.now());
    expect(await removedItems(org)).toBe(0);
    expect(await messageRows(org, { graphId: old.id })).toHaveLength(0);
    expect(await listedIds(api, org)).toHaveLength(1);
  });
});

describe("moves of mail received before the connect", { timeout: 60_000 }, () => {
  it("an imported message moved from Inbox to Sent Items stays listed, in Sent Items", async () => {
    const api = liveApi();
    const { org, email, first: moved } = await importedMailbox(api, "move", 2);
    await moveGraphMessage(email, moved.id, "sentitems");
    await liveRunAfter(api, org, email, Date.now());
    const { messages } = (
      await api<{ messages: { graph_id: string; folder: string }[] }>(
        "GET",
        "/v2/email-settings/shared-inboxes/default/messages",
        { org },
      )
    ).body;
    expect(messages.find((m) => m.graph_id === moved.id)?.folder).toBe("sentitems");
    expect(messages).toHaveLength(2);
  });

  it("a removal Graph cannot look up (500) is applied as a removal and live sync carries on", async () => {
    const api = liveApi();
    const { org, email, first: unreadable } = await importedMailbox(api, "move", 2);
    // Graph now answers 500 ErrorCorruptData for it alone; then it is moved out of Inbox.
    await patchMailbox(email, { failing: [unreadable.id] });
    await moveGraphMessage(email, unreadable.id, "sentitems");
    const later = await addGraphMessage(email, { folder: "inbox", subject: "after the unreadable one" });
    await waitFor("the next message", async () => (await listedIds(api, org)).includes(later.id), POLL_BOUND_MS);
    expect(await listedIds(api, org)).not.toContain(unreadable.id);
    expect((await liveStatus(api, org, email)).last_error).toBeNull();
  });

  it("a later import brings back a message that was deleted and then restored (its tombstone predates the page)", async () => {
    const api = liveApi();
    const {
      org,
      email,
      messages: seeded,
    } = await connectedMailbox(api, { name: "restore", spec: { inbox: 2 }, connect: { mailboxSyncTimeframe: "1m" } });
    const [restored] = seeded as [SeededMessage];
    await waitFor(
      "the import's end",
      async () => (await status(api as never, org, email)).status === "COMPLETED",
      20_000,
    );
    const before = await messageRow(org, restored.id);
    // Deleted once (live sync kept a tombstone), then restored in Outlook: mail from before the connect
    // never comes back through live sync, so only a new import can see it again.
    await tombstoneMessage(org, restored.id, new Date(Date.now() - 60_000).toISOString());
    expect(await listedIds(api, org)).not.toContain(restored.id);
    const started = await api("POST", `/v2/outlook/mailbox/${encodeURIComponent(email)}/sync`, {
      org,
      body: { timeframe: "1m" },
    });
    expect(started.status).toBeLessThan(300);
    await waitFor(
      "the second import",
      async () => {
        const s = await status(api as never, org, email);
        return s.status === "COMPLETED" && s.execution_id !== undefined && (await listedIds(api, org)).length === 2;
      },
      20_000,
    );
    expect(await listedIds(api, org)).toContain(restored.id);
    const after = await messageRow(org, restored.id);
    expect(after?.id).toBe(before?.id);
  });

  it("a throttled lookup fails the run; the replayed page then moves the message", async () => {
    const api = liveApi();
    const { org, email, first: moved } = await importedMailbox(api, "move", 1);
    await patchMailbox(email, { throttle: { count: 1, kinds: ["message"], retry_after: 1 } });
    await moveGraphMessage(email, moved.id, "sentitems");
    await waitFor(
      "the move",
      async () => {
        const { messages } = (
          await api<{ messages: { graph_id: string; folder: string }[] }>(
            "GET",
            "/v2/email-settings/shared-inboxes/default/messages",
            { org },
          )
        ).body;
        return messages.find((m) => m.graph_id === moved.id)?.folder === "sentitems";
      },
      20_000,
    );
    expect((await graphStats(email)).stats.throttled).toBe(1);
  });

  it("deleting mail received since the connect needs no lookup", async () => {
    const api = liveApi();
    const { org, email } = await connectedMailbox(api, { name: "move" });
    const fresh = await addGraphMessage(email, { folder: "inbox", subject: "new and gone" });
    await waitFor("the new message", async () => (await listedIds(api, org)).includes(fresh.id), POLL_BOUND_MS);
    const lookupsBefore = (await graphStats(email)).stats.requests.message ?? 0;
    await deleteGraphMessage(email, fresh.id);
    await waitFor("the deletion", async () => !(await listedIds(api, org)).includes(fresh.id), POLL_BOUND_MS);
    expect((await graphStats(email)).stats.requests.message ?? 0).toBe(lookupsBefore);
  });
});
