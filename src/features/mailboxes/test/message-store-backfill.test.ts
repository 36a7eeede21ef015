import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { call, uniqueOrg } from "@test/helpers/api";
import { bucketObjects, getMessage, seedLegacyMessage } from "@test/helpers/message-store";
import { describe, expect, it } from "vitest";
import { messagePrefix } from "@/db/message-store/keys";
import worker from "@/index";
import type { AppEnv } from "@/lib/types";

/**
 * Bodies stored in D1 before the message store move to R2 without waiting for a read. The hourly
 * cron moves up to MESSAGE_STORE_BACKFILL_BATCH such rows per run, the way a read moves them (same keys,
 * the same guarded update); reading afterwards serves the identical body, and a second run changes nothing.
 */

const MAILBOX = "backfill@contoso.test";
const HTML = '<p>Old mail</p><script>alert(1)</script><img src="cid:x@y">';
const TEXT = "Plain old mail\nsecond line";

const seedLegacy = (org: string, contentType: "html" | "text", body: string) =>
  seedLegacyMessage(org, { mailbox: MAILBOX, contentType, body, truncated: contentType === "html" });

const bodyColumns = (org: string) =>
  env.DB.prepare(
    "SELECT id, body, body_store, body_size, body_truncated FROM imported_messages WHERE org_id = ? ORDER BY id",
  )
    .bind(org)
    .all<{ id: string; body: string | null; body_store: string | null; body_size: number | null }>();

/** The Worker's scheduled handler, as the hourly Cron Trigger runs it (every legacy row in one run). */
async function runCron() {
  const controller = createScheduledController({ scheduledTime: Date.now(), cron: "0 * * * *" });
  const ctx = createExecutionContext();
  // (A var src/worker-configuration.d.ts does not list yet: `wrangler types` regenerates it.)
  const cronEnv = { ...(env as unknown as AppEnv), MESSAGE_STORE_BACKFILL_BATCH: "5000" } as AppEnv;
  await worker.scheduled(controller, cronEnv, ctx);
  await waitOnExecutionContext(ctx);
}

async function listedBodies(org: string) {
  const listed = await call<{ messages: { id: string; body: { content: string | null } }[] }>(
    "GET",
    "/v2/email-settings/shared-inboxes/default/messages",
    { org },
  );
  return new Map(listed.body.messages.map((m) => [m.id, m.body.content]));
}

const read = (org: string, path: string) =>
  call("GET", `/v2/email-settings/shared-inboxes/default/messages/${path}`, { org });

describe("the background move of D1 bodies into the message store", () => {
  it("the cron moves them; reads serve the same bodies; a second run is a no-op", async () => {
    const org = uniqueOrg("backfill");
    const html = await seedLegacy(org, "html", HTML);
    const text = await seedLegacy(org, "text", TEXT);
    // The listing serves no body (a read would move it: the one read comes after the cron).
    const before = await listedBodies(org);
    expect(before).toEqual(
      new Map([
        [html, null],
        [text, null],
      ]),
    );
    const sanitized = '<p>Old mail</p><img src="cid:x@y">';
    const htmlPrefix = await messagePrefix({ orgId: org, mailbox: MAILBOX, graphId: `graph-${html}` });
    const textPrefix = await messagePrefix({ orgId: org, mailbox: MAILBOX, graphId: `graph-${text}` });
    expect((await bucketObjects(textPrefix)).size).toBe(0);

    await runCron();
    const moved = (await bodyColumns(org)).results;
    expect(moved.map((r) => [r.body, r.body_store])).toEqual([
      [null, "r2"],
      [null, "r2"],
    ]);
    const sizeOf = (id: string) => moved.find((r) => r.id === id)?.body_size;
    expect(sizeOf(html)).toBe(new TextEncoder().encode(HTML).byteLength);
    expect(sizeOf(text)).toBe(new TextEncoder().encode(TEXT).byteLength);
    expect(await (await env.MESSAGE_STORE.get(`${htmlPrefix}body.html`))?.text()).toBe(HTML);
    expect(await (await env.MESSAGE_STORE.get(`${textPrefix}body.txt`))?.text()).toBe(TEXT);
    // Every read serves what it served before the move.
    expect(await listedBodies(org)).toEqual(before);
    expect((await getMessage(call as never, org, html)).body).toMatchObject({
      content: sanitized,
      truncated: true,
    });
    expect((await getMessage(call as never, org, text)).body).toMatchObject({ content: TEXT, truncated: false });
    for (const [id, body] of [
      [html, HTML],
      [text, TEXT],
    ]) {
      const original = await read(org, `${id}/original-body`);
      expect([original.status, original.body]).toEqual([200, body]);
    }

    // A second run finds nothing of this org to move: rows and objects stay exactly as they are.
    const objects = { html: await bucketObjects(htmlPrefix), text: await bucketObjects(textPrefix) };
    await runCron();
    expect((await bodyColumns(org)).results).toEqual(moved);
    expect(await bucketObjects(htmlPrefix)).toEqual(objects.html);
    expect(await bucketObjects(textPrefix)).toEqual(objects.text);
  });

  it("finds the rows to move through the partial index, not a table scan", async () => {
    const { results } = await env.DB.prepare(
      "EXPLAIN QUERY PLAN SELECT id FROM imported_messages WHERE body_store IS NULL AND body IS NOT NULL LIMIT 200",
    ).all<{ detail: string }>();
    expect(results.map((r) => r.detail).join("\n")).toMatch(
      /USING (COVERING )?INDEX imported_messages_legacy_body_idx/,
    );
  });
});
