import { formattingReconstruction, HOSTILE_FAMILIES } from "@test/fixtures/hostile-html";
import { connectedMailbox } from "@test/helpers/fixtures";
import { listedIds, liveApi, liveStatus, waitFor } from "@test/helpers/live-harness";
import { addGraphMessage, allMessages, type ImportedMessage, status } from "@test/helpers/mailbox-harness";
import { getMessage, mailboxWith, type ServedBody, servedBodies, syncAll } from "@test/helpers/message-store";
import { unsafeParts } from "@test/helpers/xss-oracle";
import { describe, expect, it } from "vitest";

/**
 * Mail whose markup costs more than its length to parse (formatting reconstruction, deep nesting, foster
 * parenting, attribute floods), sent by anyone to a connected mailbox: the import and live sync store it
 * with a bounded, safe body (its text when the markup is past the budget), the ordinary mail beside it is
 * imported, the sync ends, and live sync keeps delivering. Before the parse budget, one such 80 KB mail
 * killed the isolate (V8 heap out of memory) and stalled the mailbox for good.
 */

const KiB = 1024;
const MAX_BODY = 256 * KiB;

/** Every family at 16, 64 and 256 KB. */
const hostileMail = HOSTILE_FAMILIES.flatMap((family) =>
  [16, 64, 256].map((size) => ({ subject: `hostile ${family.name} ${size}`, html: family.make(size * KiB) })),
);

function expectBoundedSafeBody(message: ImportedMessage, body: ServedBody | undefined) {
  const content = body?.content ?? "";
  expect(content.length, message.subject ?? "").toBeLessThanOrEqual(MAX_BODY);
  expect(unsafeParts(content), message.subject ?? "").toEqual([]);
}

describe("hostile mail in the import", { timeout: 120_000 }, () => {
  it("imports every message: hostile ones bounded and safe, the ordinary ones whole; the sync ends", async () => {
    const h = await mailboxWith({ inbox: 2, body_html: "<p>Ordinary <b>meter reading</b> mail</p>" });
    for (const mail of hostileMail) {
      await addGraphMessage(h.email, { subject: mail.subject, body_html: mail.html });
    }
    await syncAll(h, h.org, h.email);

    const done = await status(h.api, h.org, h.email);
    expect(done.status).toBe("COMPLETED");
    const total = 2 + hostileMail.length;
    expect(done.inbox).toMatchObject({ total_messages: total, processed_messages: total, failed_messages: 0 });

    const listed = await allMessages(h.api, h.org, "default", 5);
    expect(listed).toHaveLength(total);
    // The listing serves no body (checked by servedBodies): each is read with getSharedInboxMessage.
    const bodies = await servedBodies(h.api, h.org);
    for (const message of listed) expectBoundedSafeBody(message, bodies.get(message.id));
    const ordinary = listed.filter((m) => !m.subject?.startsWith("hostile"));
    expect(ordinary).toHaveLength(2);
    for (const message of ordinary) {
      expect(bodies.get(message.id)?.content).toBe("<p>Ordinary <b>meter reading</b> mail</p>");
      expect(bodies.get(message.id)?.truncated).toBe(false);
      expect(message.body?.truncated).toBe(false);
    }
    // Past the budget, a reader gets the mail's text, flagged as not the whole formatted body.
    const reconstruction = listed.find((m) => m.subject === "hostile formatting b/p 256");
    expect(bodies.get(String(reconstruction?.id))?.truncated).toBe(true);
    expect(bodies.get(String(reconstruction?.id))?.content).toMatch(/^(x<br>)+/);

    const read = await getMessage(h.api, h.org, String(reconstruction?.id));
    expect(read.body.content?.length).toBeLessThanOrEqual(MAX_BODY);
    expect(read.body.truncated).toBe(true);
  });
});

describe("hostile mail in live sync", { timeout: 60_000 }, () => {
  it("stores a hostile arrival bounded and keeps delivering the mail after it", async () => {
    const api = liveApi();
    const { org, email } = await connectedMailbox(api);
    await waitFor("the first delta run", async () => (await liveStatus(api, org, email)).last_delta_at !== null);

    const hostile = await addGraphMessage(email, {
      subject: "hostile live",
      body_html: formattingReconstruction(256 * KiB, "b", "p"),
    });
    const families: { id: string }[] = [];
    for (const family of HOSTILE_FAMILIES) {
      families.push(
        await addGraphMessage(email, { subject: `hostile ${family.name} 64`, body_html: family.make(64 * KiB) }),
      );
    }
    const before = await addGraphMessage(email, { subject: "ordinary before", body_html: "<p>before</p>" });
    await waitFor(
      "every arrival",
      async () => {
        const ids = await listedIds(api, org);
        return [hostile, ...families, before].every((m) => ids.includes(m.id));
      },
      30_000,
    );

    const after = await addGraphMessage(email, { subject: "ordinary after", body_html: "<p>after</p>" });
    await waitFor("the mail after it", async () => (await listedIds(api, org)).includes(after.id), 20_000);

    const listed = await allMessages(api as never, org);
    const bodies = await servedBodies(api as never, org);
    for (const message of listed) expectBoundedSafeBody(message, bodies.get(message.id));
    const bodyOf = (graphId: string) => bodies.get(String(listed.find((m) => m.graph_id === graphId)?.id));
    expect(bodyOf(after.id)?.content).toBe("<p>after</p>");
    expect(bodyOf(hostile.id)?.truncated).toBe(true);
    expect((await liveStatus(api, org, email)).last_error).toBeNull();
  });
});
