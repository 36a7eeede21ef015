import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { getDb } from "@/db/client";
import { sanitizeForStorage } from "@/db/message-store";
import { importedMessages } from "@/db/schema";
import { ImportedMessagesResponseSchema } from "@/features/shared-inbox-messages/shared-inbox-messages.schemas";
import { call, expectBody, uniqueOrg } from "../test/helpers/api";

/**
 * `npm run bench`: listSharedInboxMessages over one page of 50 large HTML messages (about 64 KiB each,
 * MAILBOX_BODY_MAX_CHARS), served from the sanitized bodies stored at import versus sanitized on every
 * read (rows imported before bodies were stored sanitized). The same rows, the same page, requests
 * interleaved; medians of the wall time per request and their ratio in one run.
 */
const MESSAGES = 50;
const BODY_CHARS = 64 * 1024;
const ROUNDS = 9;

/** A newsletter-like HTML body of about `chars` characters: tables, inline styles, links, images. */
function newsletter(n: number, chars: number): string {
  const block = (i: number) =>
    `<table width="600" cellpadding="0" cellspacing="0" bgcolor="#f4f4f4"><tbody><tr>` +
    `<td style="padding:16px;font-family:Arial, sans-serif;color:#333333" valign="top">` +
    `<img src="https://cdn.example/${n}/${i}.png" alt="Item ${i}" width="120">` +
    `<p style="margin:0 0 8px 0">Offer ${i} of message ${n}: <b>save</b> <i>today</i>, ` +
    `<a href="https://shop.example/${n}/${i}?utm_source=mail">see more</a></p>` +
    `<font face="Georgia" color="#990000" size="2">Sale</font></td></tr></tbody></table>`;
  let html = "";
  for (let i = 0; html.length < chars; i++) html += block(i);
  return html.slice(0, chars);
}

/** Seeds the page: with `stored`, each row carries its sanitized body as the import stores it. */
async function seed(org: string, stored: boolean) {
  const db = getDb(env.DB);
  for (let n = 0; n < MESSAGES; n++) {
    const body = newsletter(n, BODY_CHARS);
    const at = new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
    const sanitized = stored ? sanitizeForStorage("html", body) : null;
    await db.insert(importedMessages).values({
      id: crypto.randomUUID(),
      orgId: org,
      mailbox: "news@contoso.test",
      graphId: `graph-${n}`,
      folder: "inbox",
      subject: `Newsletter ${n}`,
      fromAddress: "news@outside.test",
      toRecipients: [{ address: "news@contoso.test" }],
      ccRecipients: [],
      receivedAt: at,
      sortAt: at,
      bodyContentType: "html",
      body,
      bodySanitized: sanitized?.body_sanitized ?? null,
      bodySanitizedTruncated: sanitized?.body_sanitized_truncated === 1,
      bodySanitizerVersion: sanitized?.body_sanitizer_version ?? null,
      sharedInboxId: "default",
      bucketId: "default",
      executionId: "bench",
      importedAt: at,
    });
  }
}

/** One listing request; answers its wall time and the bodies served. */
async function listOnce(org: string) {
  const started = performance.now();
  const response = await call("GET", `/v2/email-settings/shared-inboxes/default/messages?limit=${MESSAGES}`, { org });
  // An I/O round trip, so the clock (which workerd advances at I/O) includes the request's CPU time.
  await env.DB.prepare("SELECT 1").first();
  const ms = performance.now() - started;
  const page = expectBody(response, 200, ImportedMessagesResponseSchema);
  return { ms, bodies: page.messages.map((m) => m.body.content) };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

it(`lists ${MESSAGES} large HTML messages: stored sanitized bodies vs sanitize on read`, async () => {
  const storedOrg = uniqueOrg("bench-stored");
  const onReadOrg = uniqueOrg("bench-onread");
  await seed(storedOrg, true);
  await seed(onReadOrg, false);

  // Both serve the same sanitized bodies.
  const warmStored = await listOnce(storedOrg);
  const warmOnRead = await listOnce(onReadOrg);
  expect(warmStored.bodies).toHaveLength(MESSAGES);
  expect(warmStored.bodies).toEqual(warmOnRead.bodies);

  const stored: number[] = [];
  const onRead: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    stored.push((await listOnce(storedOrg)).ms);
    onRead.push((await listOnce(onReadOrg)).ms);
  }
  const storedMedian = median(stored);
  const onReadMedian = median(onRead);
  const bodyKiB = Math.round((warmStored.bodies[0]?.length ?? 0) / 1024);
  console.log(
    [
      "",
      `listSharedInboxMessages: one page of ${MESSAGES} HTML messages (${BODY_CHARS / 1024} KiB originals, ~${bodyKiB} KiB sanitized), ${ROUNDS} rounds interleaved`,
      "variant                  | median ms | min ms | max ms",
      ...[
        ["stored sanitized body", stored],
        ["sanitized on read", onRead],
      ].map(([name, values]) => {
        const v = values as number[];
        return [
          String(name).padEnd(24),
          median(v).toFixed(1).padStart(9),
          Math.min(...v)
            .toFixed(1)
            .padStart(6),
          Math.max(...v)
            .toFixed(1)
            .padStart(6),
        ].join(" | ");
      }),
      `ratio (sanitized on read / stored): ${(onReadMedian / Math.max(storedMedian, 0.1)).toFixed(1)}x`,
      "",
    ].join("\n"),
  );
  expect(storedMedian).toBeGreaterThan(0);
}, 120_000);
