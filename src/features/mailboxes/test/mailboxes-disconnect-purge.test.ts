import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { call, expectBody, expectError } from "@test/helpers/api";
import { connectedMailbox } from "@test/helpers/fixtures";
import { connect, connectTenant, harness, patchMailbox } from "@test/helpers/mailbox-harness";
import { grantLiveRun, incomingMessage, livePage } from "@test/helpers/mailbox-object";
import { addAttachments, bucketObjects, mailboxWith, orgObjects, syncAll } from "@test/helpers/message-store";
import { countMessages, inMailboxObject } from "@test/helpers/rows";
import { describe, expect, it } from "vitest";
import { mailboxPrefix, messagePrefix } from "@/db/message-store/keys";
import { servicesFor } from "@/entry/services";
import { DisconnectOutlookMailboxResponseSchema } from "@/features/mailboxes/mailboxes.schemas";
import { lockStub } from "@/features/mailboxes/sync/lock-stub";

/**
 * disconnectOutlookMailbox with `deleteImportedMail=true` removes the mailbox's imported mail
 * (rows, attachment rows, every object under its prefix) and nothing of another mailbox or org; without
 * it imported mail stays. An import write racing the purge leaves no object behind.
 */

type Mailbox = Awaited<ReturnType<typeof syncedMailbox>>;

const disconnectPath = (email: string, query = "") =>
  `/v2/outlook/mailbox/${encodeURIComponent(email)}/disconnect${query}`;

/** A synced mailbox (of a new org, or of `owner`'s org and tenant) with attachments on two of its 3 messages. */
async function syncedMailbox(owner?: { org: string; tenant: string }) {
  const h = harness();
  const mailbox = await connectedMailbox(h.api, {
    org: owner?.org,
    tenant: owner?.tenant,
    connectTenant: !owner,
    name: "purge",
    spec: { inbox: 3 },
    connect: false,
  });
  const { org, email, messages } = mailbox;
  await addAttachments(email, messages[0]?.id ?? "", [{ name: "a.pdf", size: 20_000 }]);
  await addAttachments(email, messages[1]?.id ?? "", [{ name: "b.bin", size: 2 * 1024 * 1024 }]);
  const m = { ...h, ...mailbox };
  await syncAll(m, org, email);
  expect(await countMessages(org, email)).toBe(3);
  return m;
}

/** How many attachment rows the mailbox's messages have: in D1 and in the mailbox's object. */
async function attachmentCount(org: string, email: string) {
  const row = await env.DB.prepare(
    `SELECT count(*) AS n FROM message_attachments a JOIN imported_messages m ON m.org_id = a.org_id AND m.id = a.message_id
     WHERE a.org_id = ? AND m.mailbox = ?`,
  )
    .bind(org, email)
    .first<{ n: number }>();
  const inObject = await inMailboxObject(
    org,
    email,
    (sql) => sql.exec<{ n: number }>("SELECT count(*) AS n FROM attachments").one().n,
  );
  return (row?.n ?? 0) + inObject;
}

const objectsOf = async (m: Pick<Mailbox, "org" | "email">) => bucketObjects(await mailboxPrefix(m.org, m.email));

describe("disconnectOutlookMailbox deleteImportedMail", () => {
  it("deletes the mailbox's messages, attachment rows and objects; other mailboxes and orgs keep theirs", async () => {
    const target = await syncedMailbox();
    const sibling = await syncedMailbox(target);
    const other = await syncedMailbox();
    // Objects beyond one list page (1,000 keys) under the mailbox's prefix go too.
    const prefix = await mailboxPrefix(target.org, target.email);
    await Promise.all(
      Array.from({ length: 1_001 }, (_, i) => env.MESSAGE_STORE.put(`${prefix}message/extra/${i}`, "x")),
    );
    expect((await objectsOf(target)).size).toBeGreaterThan(1_000);
    expect(await attachmentCount(target.org, target.email)).toBe(2);
    const siblingObjects = await objectsOf(sibling);
    const otherObjects = await orgObjects(other.org);

    const response = await target.api("POST", disconnectPath(target.email, "?deleteImportedMail=true"), {
      org: target.org,
    });
    expect(expectBody(response, 200, DisconnectOutlookMailboxResponseSchema)).toEqual({
      success: true,
      email: target.email,
    });
    expect((await objectsOf(target)).size).toBe(0);
    expect(await countMessages(target.org, target.email)).toBe(0);
    expect(await attachmentCount(target.org, target.email)).toBe(0);
    const orphans = await env.DB.prepare(
      "SELECT count(*) AS n FROM message_attachments WHERE org_id = ? AND message_id NOT IN (SELECT id FROM imported_messages WHERE org_id = ?)",
    )
      .bind(target.org, target.org)
      .first<{ n: number }>();
    expect(orphans?.n).toBe(0);

    expect(await objectsOf(sibling)).toEqual(siblingObjects);
    expect(await countMessages(sibling.org, sibling.email)).toBe(3);
    expect(await attachmentCount(sibling.org, sibling.email)).toBe(2);
    expect(await orgObjects(other.org)).toEqual(otherObjects);
    expect(await countMessages(other.org, other.email)).toBe(3);
  }, 60_000);

  it("more messages than one purge transaction: every row goes", async () => {
    const m = await syncedMailbox();
    // Rows beyond the purge's chunk of 500 messages, each with an attachment row.
    const ids = JSON.stringify(Array.from({ length: 1_200 }, (_, i) => `bulk-${i}`));
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO imported_messages (id, org_id, mailbox, graph_id, folder, to_recipients, cc_recipients, sort_at,
           shared_inbox_id, bucket_id, execution_id, imported_at)
         SELECT value, ?1, ?2, value, 'inbox', '[]', '[]', '2026-01-01T00:00:00.000Z', 'default', 'default', 'x', 'x'
         FROM json_each(?3)`,
      ).bind(m.org, m.email, ids),
      env.DB.prepare(
        `INSERT INTO message_attachments (org_id, message_id, id, name, size, kind, state, created_at)
         SELECT ?1, value, 'att', 'n', 1, 'file', 'skipped', 'x' FROM json_each(?2)`,
      ).bind(m.org, ids),
    ]);
    expect(await countMessages(m.org, m.email)).toBe(1_203);
    const response = await m.api("POST", disconnectPath(m.email, "?deleteImportedMail=true"), { org: m.org });
    expect(response.status).toBe(200);
    expect(await countMessages(m.org, m.email)).toBe(0);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM message_attachments WHERE org_id = ?")
      .bind(m.org)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
  });

  it("by default (and with false) imported mail stays", async () => {
    for (const query of ["", "?deleteImportedMail=false"]) {
      const m = await syncedMailbox();
      const objects = await objectsOf(m);
      const response = await m.api("POST", disconnectPath(m.email, query), { org: m.org });
      expect(expectBody(response, 200, DisconnectOutlookMailboxResponseSchema).success).toBe(true);
      expect(await countMessages(m.org, m.email)).toBe(3);
      expect(await attachmentCount(m.org, m.email)).toBe(2);
      expect(await objectsOf(m)).toEqual(objects);
    }
  });

  it("empties the message index of the mailbox's Durable Object too; without the flag it stays", async () => {
    const services = servicesFor(env);
    const row = (graphId: string) => incomingMessage({ graph_id: graphId });
    for (const purge of [true, false]) {
      const m = await syncedMailbox();
      const owner = { orgId: m.org, mailbox: m.email };
      const object = lockStub(services, m.org, m.email);
      const runId = await grantLiveRun(object, owner);
      await object.writeLivePage(owner, runId, livePage("inbox", { rows: [row("a"), row("b")] }), {
        now: new Date().toISOString(),
        sharedInboxId: "default",
      });
      const held = (await object.messageCounts(owner)).listed;
      expect(held).toBeGreaterThanOrEqual(2);
      const response = await m.api("POST", disconnectPath(m.email, purge ? "?deleteImportedMail=true" : ""), {
        org: m.org,
      });
      expect(expectBody(response, 200, DisconnectOutlookMailboxResponseSchema).success).toBe(true);
      // Purged: the object keeps nothing at all (no table, no key, no alarm), before anything opens it again.
      const left = await runInDurableObject(object, async (_instance, state) => ({
        tables: state.storage.sql
          .exec<{ name: string }>(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'",
          )
          .toArray().length,
        keys: (await state.storage.list()).size,
        alarm: await state.storage.getAlarm(),
      }));
      if (purge) expect(left).toEqual({ tables: 0, keys: 0, alarm: null });
      else expect(left.tables).toBeGreaterThan(0);
      expect((await object.messageCounts(owner)).listed).toBe(purge ? 0 : held);
    }
  });

  it("another org cannot purge (404 as today), and a value other than true/false is refused (400)", async () => {
    const m = await syncedMailbox();
    const objects = await objectsOf(m);
    const stranger = `${m.org}-other`;
    await connectTenant(stranger, crypto.randomUUID());
    expectError(await m.api("POST", disconnectPath(m.email, "?deleteImportedMail=true"), { org: stranger }), 404);
    expectError(await m.api("POST", disconnectPath(m.email, "?deleteImportedMail=yes"), { org: m.org }), 400);
    expect(await countMessages(m.org, m.email)).toBe(3);
    expect(await objectsOf(m)).toEqual(objects);
    // The mailbox is still connected and its mail still there.
    expect(
      expectBody(
        await m.api("POST", disconnectPath(m.email), { org: m.org }),
        200,
        DisconnectOutlookMailboxResponseSchema,
      ),
    ).toEqual({ success: true, email: m.email });
  });

  it("an import write racing the purge is refused by the fencing guard and leaves no object behind", async () => {
    const m = await mailboxWith({ inbox: 2 });
    const [plain, slow] = m.messages;
    await addAttachments(m.email, slow?.id ?? "", [{ name: "slow.pdf", size: 20_000 }]);
    await connect(m.api, m.org, m.email, { mailboxSyncTimeframe: "1m" });
    // Every Graph request now takes 700 ms: the slow message's attachments are still being fetched while the
    // plain message's objects are already stored and the page's D1 write has not happened yet.
    await patchMailbox(m.email, { delay_ms: 700 });
    const delivering = m.deliver(m.queue.pending.splice(0));
    const plainPrefix = await messagePrefix({ orgId: m.org, mailbox: m.email, graphId: plain?.id ?? "" });
    for (let i = 0; (await bucketObjects(plainPrefix)).size === 0; i++) {
      if (i > 200) throw new Error("the plain message was never stored");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const response = await m.api("POST", disconnectPath(m.email, "?deleteImportedMail=true"), { org: m.org });
    expect(response.status).toBe(200);
    await delivering;
    await patchMailbox(m.email, { delay_ms: 0 });
    expect(await countMessages(m.org, m.email)).toBe(0);
    expect([...(await objectsOf(m)).keys()]).toEqual([]);
  });

  it("a purge that fails inside the request is finished by a queued purge task", async () => {
    const m = await syncedMailbox();
    // The request's bucket refuses deletes (an R2 outage): the D1 rows go, the objects wait for the queue.
    const failing = {
      list: (options: R2ListOptions) => env.MESSAGE_STORE.list(options),
      delete: async () => {
        throw new Error("R2 is unavailable");
      },
    } as unknown as R2Bucket;
    const response = await call("POST", disconnectPath(m.email, "?deleteImportedMail=true"), {
      org: m.org,
      env: { ...m.workerEnv, MESSAGE_STORE: failing },
    });
    expect(expectBody(response, 200, DisconnectOutlookMailboxResponseSchema).success).toBe(true);
    expect(m.queue.pending.map((t) => t.body)).toEqual([{ kind: "purge", orgId: m.org, mailbox: m.email }]);
    expect((await objectsOf(m)).size).toBeGreaterThan(0);
    await m.drain();
    expect((await objectsOf(m)).size).toBe(0);
    expect(await countMessages(m.org, m.email)).toBe(0);
  });
});
