import { env } from "cloudflare:workers";
import { expectBody } from "@test/helpers/api";
import { connectedMailbox } from "@test/helpers/fixtures";
import { listedIds, liveApi, waitFor } from "@test/helpers/live-harness";
import {
  addGraphMessage,
  allMessages,
  connect,
  deleteGraphMessage,
  harness,
  startSync,
  status,
  updateGraphMessage,
} from "@test/helpers/mailbox-harness";
import { withoutLiveSync } from "@test/helpers/mailbox-object";
import { download, getMessage } from "@test/helpers/message-store";
import { messageRows } from "@test/helpers/rows";
import { describe, expect, it } from "vitest";
import { stillInD1Statement } from "@/db/message-store";
import { servicesFor } from "@/entry/services";
import { queueMailboxMoves } from "@/features/mailboxes";
import { moveMailboxMail } from "@/features/mailboxes/move";
import { lockStub } from "@/features/mailboxes/sync/lock-stub";
import type { SyncTask } from "@/features/mailboxes/sync/tasks";
import { ImportedMessagesResponseSchema } from "@/features/shared-inbox-messages/shared-inbox-messages.schemas";
import type { AppEnv } from "@/lib/types";

/**
 * The move of a mailbox's mail from D1 (where every mailbox kept it before the mailbox objects) into its
 * Durable Object: nothing lost or doubled, ids, order, cursors, bodies and attachments as before, reads and new
 * mail working at every moment (while it is half done too), D1 left with nothing of the mailbox.
 */

/** A mailbox whose mail goes to D1, as a mailbox connected before the mailbox objects did. */
async function inD1(org: string, email: string) {
  await env.DB.prepare("DELETE FROM mailbox_stores WHERE org_id = ?1 AND mailbox = ?2").bind(org, email).run();
}

const d1Count = async (org: string, email: string) =>
  (
    await env.DB.prepare("SELECT count(*) AS n FROM imported_messages WHERE org_id = ?1 AND mailbox = ?2")
      .bind(org, email)
      .first<{ n: number }>()
  )?.n ?? 0;

const storeState = async (org: string, email: string) =>
  (
    await env.DB.prepare("SELECT state FROM mailbox_stores WHERE org_id = ?1 AND mailbox = ?2")
      .bind(org, email)
      .first<{ state: string }>()
  )?.state ?? null;

/** A mailbox with mail (some with an attachment) imported into D1 by a sync. */
async function syncedInD1() {
  const h = harness();
  const m = await connectedMailbox(h.api, {
    name: "move",
    spec: { inbox: 9, sentitems: 3, attachment_percent: 50, attachment_bytes: 1500 },
    connect: false,
  });
  await connect(h.api, m.org, m.email);
  await withoutLiveSync(m.org, m.email);
  await inD1(m.org, m.email);
  expect((await startSync(h.api, m.org, m.email)).status).toBe(202);
  await h.drain();
  expect((await status(h.api, m.org, m.email)).status).toBe("COMPLETED");
  return { ...h, ...m, services: servicesFor({ ...h.workerEnv }) };
}

async function page(api: ReturnType<typeof harness>["api"], org: string, query: string) {
  return expectBody(
    await api("GET", `/v2/email-settings/shared-inboxes/default/messages?${query}`, { org }),
    200,
    ImportedMessagesResponseSchema,
  );
}

describe("the move of a mailbox's mail from D1 into its object", () => {
  it("keeps every id, the order, old cursors, bodies and attachments, and leaves nothing in D1", async () => {
    const m = await syncedInD1();
    const stored = await d1Count(m.org, m.email);
    expect(stored).toBe(12);
    const before = await allMessages(m.api, m.org, "default", 4);
    expect(before).toHaveLength(12);
    const first = await page(m.api, m.org, "limit=4");
    const second = await page(m.api, m.org, `limit=4&cursor=${encodeURIComponent(first.next_cursor ?? "")}`);
    const withAttachment = before.find((message) => message.graph_id && message.folder === "inbox") as {
      id: string;
    };
    const whole = await getMessage(m.api, m.org, withAttachment.id);

    // Half done: 5 rows in the object, 7 still in D1; the inbox reads the same.
    const half = await moveMailboxMail(
      m.services,
      { orgId: m.org, mailbox: m.email, inboxId: "default" },
      { chunks: 1, chunkRows: 5 },
    );
    expect(half).toMatchObject({ state: "moving", moved: 5 });
    expect(await storeState(m.org, m.email)).toBe("moving");
    expect(await d1Count(m.org, m.email)).toBe(7);
    expect((await allMessages(m.api, m.org, "default", 4)).map((x) => x.id)).toEqual(before.map((x) => x.id));

    // The rest through the queue, as the cron starts it: each task moves a few chunks and sends the next.
    await m.services.queues.mailboxSync.send({
      kind: "move",
      orgId: m.org,
      mailbox: m.email,
      inboxId: "default",
    } satisfies SyncTask);
    await m.drain();
    expect(await storeState(m.org, m.email)).toBe("object");
    expect(await d1Count(m.org, m.email)).toBe(0);
    const items = await env.DB.prepare("SELECT count(*) AS n FROM mailbox_sync_items WHERE org_id = ?1")
      .bind(m.org)
      .first<{ n: number }>();
    expect(items?.n).toBe(0);

    const after = await allMessages(m.api, m.org, "default", 4);
    expect(after).toEqual(before);
    expect((await messageRows(m.org)).map((row) => row.id).sort()).toEqual(before.map((x) => x.id).sort());
    // A cursor issued before the move still answers the same next page.
    expect(await page(m.api, m.org, `limit=4&cursor=${encodeURIComponent(first.next_cursor ?? "")}`)).toEqual(second);
    expect(await getMessage(m.api, m.org, withAttachment.id)).toEqual(whole);
    for (const attachment of whole.attachments.filter((a) => a.url)) {
      const got = await download(m.org, attachment.url as string);
      expect(got.status).toBe(200);
      expect(got.bytes.byteLength).toBe(attachment.size);
    }
    // A finished move does nothing more.
    expect(
      await moveMailboxMail(
        m.services,
        { orgId: m.org, mailbox: m.email, inboxId: "default" },
        { chunks: 5, chunkRows: 5 },
      ),
    ).toMatchObject({ state: "object", moved: 0 });
  });

  it("waits while an import holds the mailbox; an import during the move writes each message once, keeping ids", async () => {
    const m = await syncedInD1();
    const before = await allMessages(m.api, m.org);
    // A second sync of the same window, not yet run: its lease keeps the move from starting.
    expect((await startSync(m.api, m.org, m.email)).status).toBe(202);
    const scope = { orgId: m.org, mailbox: m.email, inboxId: "default" };
    expect(await moveMailboxMail(m.services, scope, { chunks: 1, chunkRows: 4 })).toMatchObject({
      state: "busy",
      moved: 0,
    });
    expect(await storeState(m.org, m.email)).toBeNull();
    await m.drain();

    // Started, half done; a third sync runs now, into the object, over messages still in D1.
    expect(await moveMailboxMail(m.services, scope, { chunks: 1, chunkRows: 4 })).toMatchObject({ state: "moving" });
    const sync = await startSync(m.api, m.org, m.email);
    expect(sync.status).toBe(202);
    await m.drain();
    expect((await status(m.api, m.org, m.email)).status).toBe("COMPLETED");
    expect(await moveMailboxMail(m.services, scope, { chunks: 10, chunkRows: 4 })).toMatchObject({ state: "object" });

    const after = await allMessages(m.api, m.org);
    expect(after.map((x) => x.id)).toEqual(before.map((x) => x.id));
    expect(new Set(after.map((x) => x.graph_id)).size).toBe(after.length);
    expect(await messageRows(m.org)).toHaveLength(before.length);
  });

  it("live sync during the move: changes keep their ids, deletions and new mail follow, nothing doubles", async () => {
    const api = liveApi();
    const m = await connectedMailbox(api, { name: "move-live", connect: false });
    await connect(api, m.org, m.email);
    await inD1(m.org, m.email);
    const sent = [];
    for (let i = 0; i < 6; i++) sent.push(await addGraphMessage(m.email, { folder: "inbox", subject: `before ${i}` }));
    await waitFor("the mail in D1", async () => (await d1Count(m.org, m.email)) === 6, 20_000);
    const before = await allMessages(api as never, m.org);
    const idOf = (graphId: string) => before.find((x) => x.graph_id === graphId)?.id;

    const services = servicesFor({ ...(env as unknown as AppEnv) });
    const scope = { orgId: m.org, mailbox: m.email, inboxId: "default" };
    // Half moved; live runs go on meanwhile (they never wait for the move's lease).
    expect(await moveMailboxMail(services, scope, { chunks: 1, chunkRows: 3 })).toMatchObject({ state: "moving" });
    // The change and the deletion hit messages still in D1: the live page hands them to the object first.
    const { results: left } = await env.DB.prepare(
      "SELECT graph_id FROM imported_messages WHERE org_id = ?1 AND mailbox = ?2 ORDER BY graph_id",
    )
      .bind(m.org, m.email)
      .all<{ graph_id: string }>();
    expect(left).toHaveLength(3);
    const changed = { id: left[0]?.graph_id as string };
    const deleted = { id: left[1]?.graph_id as string };
    await updateGraphMessage(m.email, changed.id, { subject: "changed during the move" });
    await deleteGraphMessage(m.email, deleted.id);
    const arrived = await addGraphMessage(m.email, { folder: "inbox", subject: "new during the move" });
    await waitFor(
      "the changes",
      async () => {
        const listed = await allMessages(api as never, m.org);
        return (
          listed.some((x) => x.graph_id === arrived.id) &&
          !listed.some((x) => x.graph_id === deleted.id) &&
          listed.some((x) => x.graph_id === changed.id && x.subject === "changed during the move")
        );
      },
      20_000,
    );
    for (let round = 0; round < 20 && (await storeState(m.org, m.email)) !== "object"; round++) {
      await moveMailboxMail(services, scope, { chunks: 5, chunkRows: 3 });
    }
    expect(await storeState(m.org, m.email)).toBe("object");
    expect(await d1Count(m.org, m.email)).toBe(0);

    const after = await allMessages(api as never, m.org);
    expect(after.map((x) => x.graph_id).sort()).toEqual(
      [...sent.filter((x) => x.id !== deleted.id), arrived].map((x) => x.id).sort(),
    );
    // Every message that was there before keeps its id; the changed one too.
    for (const message of after.filter((x) => x.graph_id !== arrived.id)) {
      expect(message.id).toBe(idOf(message.graph_id));
    }
    expect(after.find((x) => x.graph_id === changed.id)?.subject).toBe("changed during the move");
    // One row per Graph message (the deleted one a tombstone).
    const rows = await messageRows(m.org);
    expect(rows).toHaveLength(7);
    expect(rows.find((row) => row.graph_id === deleted.id)?.deleted_at).not.toBeNull();
    expect(await listedIds(api, m.org)).not.toContain(deleted.id);
  });

  it("a purge during a move deletes everything, and the move's next step brings nothing back", async () => {
    const m = await syncedInD1();
    const scope = { orgId: m.org, mailbox: m.email, inboxId: "default" };
    expect(await moveMailboxMail(m.services, scope, { chunks: 1, chunkRows: 5 })).toMatchObject({ state: "moving" });
    const response = await m.api(
      "POST",
      `/v2/outlook/mailbox/${encodeURIComponent(m.email)}/disconnect?deleteImportedMail=true`,
      {
        org: m.org,
      },
    );
    expect(response.status).toBe(200);
    // A move task still queued runs afterwards.
    expect(await moveMailboxMail(m.services, scope, { chunks: 5, chunkRows: 5 })).toMatchObject({ moved: 0 });
    expect(await d1Count(m.org, m.email)).toBe(0);
    expect(await storeState(m.org, m.email)).toBeNull();
    const owner = { orgId: m.org, mailbox: m.email };
    expect(await lockStub(m.services, m.org, m.email).messageCounts(owner)).toEqual({ listed: 0, tombstones: 0 });
    expect(await allMessages(m.api, m.org)).toEqual([]);
  });

  it("a D1 write of a mailbox that started moving is refused whole: its batch's first statement fails", async () => {
    const org = `fence-${crypto.randomUUID().slice(0, 8)}`;
    const scope = { orgId: org, mailbox: "shared@contoso.test" };
    const write = () =>
      env.DB.batch([
        stillInD1Statement(env.DB, scope),
        env.DB.prepare(
          `INSERT INTO mailbox_sync_items (org_id, mailbox, graph_id, execution_id, folder, status, updated_at)
           VALUES (?1, ?2, 'g-1', 'e-1', 'inbox', 'REMOVED', '2026-12-01T00:00:00.000Z')`,
        ).bind(org, scope.mailbox),
      ]);
    const items = async () =>
      (
        await env.DB.prepare("SELECT count(*) AS n FROM mailbox_sync_items WHERE org_id = ?1").bind(org).first<{
          n: number;
        }>()
      )?.n;
    await write();
    expect(await items()).toBe(1);
    await env.DB.prepare(
      "INSERT INTO mailbox_stores (org_id, mailbox, shared_inbox_id, state, updated_at) VALUES (?1, ?2, 'default', 'moving', '2026-12-01')",
    )
      .bind(org, scope.mailbox)
      .run();
    await env.DB.prepare("DELETE FROM mailbox_sync_items WHERE org_id = ?1").bind(org).run();
    await expect(write()).rejects.toThrow();
    expect(await items()).toBe(0);
  });

  it("the hourly cron queues a move for a mailbox with mail in D1, and not for one whose mail is in its object", async () => {
    const moving = await syncedInD1();
    const h = harness();
    const inObject = await connectedMailbox(h.api, { name: "object", spec: { inbox: 2 } });
    expect((await startSync(h.api, inObject.org, inObject.email)).status).toBe(202);
    await h.drain();
    await queueMailboxMoves(moving.services);
    const queued = moving.queue.pending.map((p) => p.body as SyncTask).filter((task) => task.kind === "move");
    expect(queued.filter((task) => task.orgId === moving.org)).toEqual([
      { kind: "move", orgId: moving.org, mailbox: moving.email, inboxId: "default" },
    ]);
    expect(queued.filter((task) => task.orgId === inObject.org)).toEqual([]);
    // Another org's mailbox of the same address is not touched by this org's move.
    moving.queue.pending.splice(
      0,
      moving.queue.pending.length,
      ...moving.queue.pending.filter((p) => (p.body as SyncTask).orgId === moving.org),
    );
    await moving.drain();
    expect(await storeState(moving.org, moving.email)).toBe("object");
    expect(await messageRows(inObject.org)).toHaveLength(2);
  });
});
