import { connectedMailbox } from "@test/helpers/fixtures";
import { listedIds, liveApi, liveStatus, waitFor } from "@test/helpers/live-harness";
import { addGraphMessage, controlDelta, deleteGraphMessage, patchMailbox } from "@test/helpers/mailbox-harness";
import { bucketObjects } from "@test/helpers/message-store";
import { countMessages, messageRow, messageRows } from "@test/helpers/rows";
import { describe, expect, it } from "vitest";
import { messagePrefix } from "@/db/message-store/keys";

/**
 * Live sync after an expired delta token: the fresh round (resync) lists what is present, and its end
 * tombstones the stored messages of its window it did not list (deleted at Graph while the token was
 * expired), their message-store objects included; across runs, and never in a normal round.
 */

const POLL_BOUND_MS = 1_000 + 10_000; // one poll interval (1 s here) + 10 s

interface Row {
  graph_id: string;
  folder: string;
  subject: string;
  received_at: string;
  deleted_at: string | null;
  body_store: string | null;
  graph_modified_at: string | null;
}

/** The org's stored messages (its mailboxes' objects and D1), by Graph id. */
async function rows(org: string): Promise<Row[]> {
  return (await messageRows(org))
    .map(({ graph_id, folder, subject, received_at, deleted_at, body_store, graph_modified_at }) => ({
      graph_id,
      folder,
      subject: subject as string,
      received_at: received_at as string,
      deleted_at,
      body_store,
      graph_modified_at,
    }))
    .sort((a, b) => (a.graph_id < b.graph_id ? -1 : a.graph_id > b.graph_id ? 1 : 0));
}

const objectsOf = async (org: string, email: string, graphId: string) =>
  [...(await bucketObjects(await messagePrefix({ orgId: org, mailbox: email, graphId }))).keys()].sort();

const sorted = (ids: string[]) => [...ids].sort();

describe("live sync, resync after an expired delta token", { timeout: 60_000 }, () => {
  it("a message deleted while the token was expired is tombstoned by the resync; the rest stays as it was", async () => {
    const api = liveApi();
    const { org, email } = await connectedMailbox(api);
    await waitFor("the first delta run", async () => (await liveStatus(api, org, email)).last_delta_at !== null);
    const kept = [
      await addGraphMessage(email, { subject: "kept in inbox" }),
      await addGraphMessage(email, { folder: "sentitems", subject: "kept in sent" }),
    ];
    const victim = await addGraphMessage(email, { subject: "deleted while expired" });
    const sentVictim = await addGraphMessage(email, { folder: "sentitems", subject: "sent, deleted while expired" });
    const all = [...kept, victim, sentVictim].map((m) => m.id);
    await waitFor("the first messages", async () => (await listedIds(api, org)).length === 4, POLL_BOUND_MS);
    // Settled: a poll more, then the stored state before the expiry.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(sorted(await listedIds(api, org))).toEqual(sorted(all));
    const before = await rows(org);
    expect(before.every((r) => r.body_store === "r2" && r.deleted_at === null)).toBe(true);
    const victimObjects = await objectsOf(org, email, victim.id);
    expect(victimObjects.length).toBeGreaterThan(0);
    expect((await objectsOf(org, email, sentVictim.id)).length).toBeGreaterThan(0);
    const keptObjects = await Promise.all(kept.map((m) => objectsOf(org, email, m.id)));

    // Every token expires; meanwhile one message per folder is deleted (no `@removed` will say so) and one arrives.
    await controlDelta(email, { expire_tokens: true, fail: "syncStateNotFound" });
    await deleteGraphMessage(email, victim.id);
    await deleteGraphMessage(email, sentVictim.id);
    const arrived = await addGraphMessage(email, { subject: "arrived while expired" });

    const expected = sorted([...kept.map((m) => m.id), arrived.id]);
    await waitFor(
      "the resync",
      async () => JSON.stringify(sorted(await listedIds(api, org))) === JSON.stringify(expected),
      POLL_BOUND_MS,
    );
    // Several more polls (normal rounds now) change nothing.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const listed = await listedIds(api, org);
    expect(sorted(listed)).toEqual(expected);
    expect(new Set(listed).size).toBe(listed.length);
    // Tombstones (one row each, no body), their objects gone; the kept rows and objects unchanged; no duplicates.
    expect(await countMessages(org, email)).toBe(5);
    for (const id of [victim.id, sentVictim.id]) {
      const row = await messageRow(org, id);
      expect(row?.deleted_at).not.toBeNull();
      expect(row?.body).toBeNull();
      expect(await objectsOf(org, email, id)).toEqual([]);
    }
    const after = await rows(org);
    const keptIds = new Set(kept.map((m) => m.id));
    expect(after.filter((r) => keptIds.has(r.graph_id))).toEqual(before.filter((r) => keptIds.has(r.graph_id)));
    expect(await Promise.all(kept.map((m) => objectsOf(org, email, m.id)))).toEqual(keptObjects);
    expect(after.find((r) => r.graph_id === arrived.id)).toMatchObject({
      deleted_at: null,
      subject: "arrived while expired",
    });
    expect((await liveStatus(api, org, email)).last_error).toBeNull();
  });

  it("a resync round spanning several runs tombstones only what it never listed", async () => {
    const api = liveApi();
    const { org, email } = await connectedMailbox(api);
    await waitFor("the first delta run", async () => (await liveStatus(api, org, email)).last_delta_at !== null);
    const messages = [];
    for (let i = 0; i < 24; i++) messages.push(await addGraphMessage(email, { subject: `message ${i}` }));
    await waitFor("the messages", async () => (await listedIds(api, org)).length === 24, POLL_BOUND_MS);

    // One message per delta page: the resync round needs more than one run (20 pages per run).
    await patchMailbox(email, { max_page_size: 1 });
    await controlDelta(email, { expire_tokens: true, fail: "resyncRequired" });
    const deleted = [messages[0], messages[23]].map((m) => (m as { id: string }).id);
    for (const id of deleted) await deleteGraphMessage(email, id);

    const expected = sorted(messages.map((m) => m.id).filter((id) => !deleted.includes(id)));
    await waitFor(
      "the resync",
      async () => JSON.stringify(sorted(await listedIds(api, org))) === JSON.stringify(expected),
      2 * POLL_BOUND_MS,
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(sorted(await listedIds(api, org))).toEqual(expected);
    expect(await countMessages(org, email)).toBe(24);
    const tombstones = (await rows(org)).filter((r) => r.deleted_at !== null).map((r) => r.graph_id);
    expect(sorted(tombstones)).toEqual(sorted(deleted));
  });

  it("a normal delta round tombstones nothing by absence", async () => {
    const api = liveApi();
    const { org, email } = await connectedMailbox(api);
    await waitFor("the first delta run", async () => (await liveStatus(api, org, email)).last_delta_at !== null);
    const first = await addGraphMessage(email, { subject: "listed" });
    await waitFor("the message", async () => (await listedIds(api, org)).includes(first.id), POLL_BOUND_MS);
    // Normal rounds after this one report no change for it: it must stay listed.
    const second = await addGraphMessage(email, { subject: "later" });
    await waitFor("the second message", async () => (await listedIds(api, org)).includes(second.id), POLL_BOUND_MS);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(sorted(await listedIds(api, org))).toEqual(sorted([first.id, second.id]));
    expect((await rows(org)).every((r) => r.deleted_at === null)).toBe(true);
  });
});
