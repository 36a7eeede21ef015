import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { orgPrefix } from "@/db/message-store";
import { MailboxSyncStatusSchema } from "@/features/mailboxes/mailboxes.schemas";
import type { AppEnv } from "@/lib/types";
import { call, uniqueOrg } from "../test/helpers/api";
import {
  ADMIN,
  CapturingQueue,
  connectTenant,
  deliverBatch,
  graphStats,
  type Pending,
  seedMailbox,
  testEnv,
} from "../test/helpers/mailbox-harness";
import { addAttachments } from "../test/helpers/message-store";

/**
 * `npm run bench -- bench/message-store.bench.ts`: the 10,000-message import (6,000 Inbox +
 * 4,000 Sent Items, 2,000-character HTML bodies) with 30% of the messages carrying one 200 KB file
 * attachment, end to end through the Worker into D1 (metadata) and the MESSAGE_STORE bucket (Miniflare's
 * local R2): messages/s, Graph requests per 1,000 messages, D1 bytes per message (the database's size
 * before and after, D1's `meta.size_after`, so indexes and the sync's item rows count too), R2 bytes per
 * message (the org's objects listed). Then one consumer invocation that streams a 30 MB attachment: the
 * peak resident memory of the workerd processes while it runs (sampled by the fake Graph from /proc).
 */
const INBOX = 6_000;
const SENT = 4_000;
const TOTAL = INBOX + SENT;
const BODY_CHARS = 2_000;
const ATTACHMENT_PERCENT = 30;
const ATTACHMENT_BYTES = 200 * 1024;
const BATCH_SIZE = 10;

async function d1Size(): Promise<number> {
  const result = await env.DB.prepare("SELECT 1").run();
  return (result.meta as { size_after?: number }).size_after ?? 0;
}

/** Stored value bytes (sum of length() of every column) of an org's rows of a table, over TOTAL. */
async function payloadPerMessage(table: string, org: string): Promise<number> {
  const { results } = await env.DB.prepare(`PRAGMA table_info(${table})`).all<{ name: string }>();
  const sum = results.map((c) => `coalesce(length(${c.name}), 0)`).join(" + ");
  const row = await env.DB.prepare(`SELECT sum(${sum}) AS bytes FROM ${table} WHERE org_id = ?`)
    .bind(org)
    .first<{ bytes: number }>();
  return (row?.bytes ?? 0) / TOTAL;
}

async function r2Bytes(org: string): Promise<{ objects: number; bytes: number }> {
  let objects = 0;
  let bytes = 0;
  let cursor: string | undefined;
  do {
    const listed = await env.MESSAGE_STORE.list({ prefix: orgPrefix(org), cursor });
    for (const o of listed.objects) {
      objects++;
      bytes += o.size;
    }
    cursor = listed.truncated ? listed.cursor : undefined;
  } while (cursor);
  return { objects, bytes };
}

/**
 * Waits for live sync's first delta round (started by the connect, on the real queue consumer), so it does
 * not run beside the measured import: the test runner and Miniflare's consumer are different Durable
 * Object contexts, and the Graph client's per-mailbox limiter must not hand slots from one to the other.
 * The overrides set a day-long poll interval, so no later round runs during the bench.
 */
async function liveSettled(org: string, email: string) {
  for (let i = 0; i < 300; i++) {
    const live = await call<{ last_delta_at: string | null }>(
      "GET",
      `/v2/outlook/mailbox/${encodeURIComponent(email)}/live`,
      { org },
    );
    if (live.body.last_delta_at) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("live sync's first delta round did not finish");
}

/** Connects and syncs a seeded mailbox, draining the queue by hand; answers the wall time. */
async function importMailbox(org: string, email: string, overrides: Partial<AppEnv>, queue: CapturingQueue) {
  const workerEnv = { ...(env as unknown as AppEnv), ...overrides };
  const started = performance.now();
  const connect = await call("POST", "/v2/outlook/mailbox/connect", { org, body: { email }, env: overrides });
  if (connect.status !== 201) throw new Error(`connect answered ${connect.status}`);
  const path = `/v2/outlook/mailbox/${encodeURIComponent(email)}`;
  await liveSettled(org, email);
  const start = await call("POST", `${path}/sync`, { org, body: { timeframe: "1m" }, env: overrides });
  if (start.status !== 202) throw new Error(`startMailboxSync answered ${start.status}`);
  for (let rounds = 0; queue.pending.length > 0; rounds++) {
    if (rounds > 20_000) throw new Error("the queue does not drain");
    const batch: Pending[] = queue.pending.splice(0, BATCH_SIZE);
    const result = await deliverBatch(workerEnv, batch);
    for (const r of result.retryMessages) {
      const m = batch.find((x) => x.id === r.msgId);
      if (m) queue.pending.push({ ...m, attempts: m.attempts + 1 });
    }
  }
  const ms = performance.now() - started;
  const status = MailboxSyncStatusSchema.parse((await call("GET", `${path}/sync/status`, { org })).body);
  return { ms, status };
}

async function newMailbox(spec: Record<string, unknown>) {
  const org = uniqueOrg("bench-store");
  const tenant = crypto.randomUUID();
  const email = `bench-${crypto.randomUUID().slice(0, 8)}@contoso.test`;
  await connectTenant(org, tenant);
  const messages = await seedMailbox({ email, tenant, ...spec });
  const queue = new CapturingQueue();
  const overrides: Partial<AppEnv> = {
    MS_GRAPH_BASE_URL: testEnv.TEST_GRAPH_BASE_URL,
    MAILBOX_SYNC_QUEUE: queue as unknown as Queue,
    MAILBOX_POLL_INTERVAL_SECONDS: "86400",
    MAILBOX_BACKSTOP_POLL_SECONDS: "86400",
  };
  return { org, email, messages, queue, overrides };
}

const memoryControl = async (action: "start" | "stop") =>
  (await (await fetch(`${ADMIN}/__memory/${action}`, { method: "POST" })).json()) as {
    start_kib: number;
    peak_kib: number;
  };

it(`imports ${TOTAL} messages, ${ATTACHMENT_PERCENT}% with a 200 KB attachment, into D1 and the message store`, async () => {
  const m = await newMailbox({
    inbox: INBOX,
    sentitems: SENT,
    body_chars: BODY_CHARS,
    attachment_percent: ATTACHMENT_PERCENT,
    attachment_bytes: ATTACHMENT_BYTES,
  });
  const before = await d1Size();
  const run = await importMailbox(m.org, m.email, m.overrides, m.queue);
  const after = await d1Size();
  expect(run.status.inbox).toMatchObject({ status: "COMPLETED", processed_messages: INBOX, failed_messages: 0 });
  expect(run.status.sent_items).toMatchObject({ status: "COMPLETED", processed_messages: SENT, failed_messages: 0 });
  const attachments = await env.DB.prepare(
    "SELECT count(*) AS n FROM message_attachments WHERE org_id = ? AND state = 'stored'",
  )
    .bind(m.org)
    .first<{ n: number }>();
  const requests = (await graphStats(m.email)).stats.requests;
  const graph = Object.values(requests).reduce((a, b) => a + b, 0);
  const r2 = await r2Bytes(m.org);
  const payload = {
    imported_messages: await payloadPerMessage("imported_messages", m.org),
    mailbox_sync_items: await payloadPerMessage("mailbox_sync_items", m.org),
    message_attachments: await payloadPerMessage("message_attachments", m.org),
  };

  // One consumer invocation that streams a 30 MB attachment (the cap raised above it for this run).
  const big = await newMailbox({ inbox: 1 });
  await addAttachments(big.email, big.messages[0]?.id ?? "", [{ name: "scan.tiff", size: 30 * 1024 * 1024 }]);
  const bigOverrides = { ...big.overrides, MAILBOX_ATTACHMENT_MAX_BYTES: String(40 * 1024 * 1024) };
  const connect = await call("POST", "/v2/outlook/mailbox/connect", {
    org: big.org,
    body: { email: big.email },
    env: bigOverrides,
  });
  expect(connect.status).toBe(201);
  await liveSettled(big.org, big.email);
  const start = await call("POST", `/v2/outlook/mailbox/${encodeURIComponent(big.email)}/sync`, {
    org: big.org,
    body: { timeframe: "1m" },
    env: bigOverrides,
  });
  expect(start.status).toBe(202);
  const workerEnv = { ...(env as unknown as AppEnv), ...bigOverrides };
  let memory = { start_kib: 0, peak_kib: 0 };
  while (big.queue.pending.length > 0) {
    const batch = big.queue.pending.splice(0, BATCH_SIZE);
    const streams = batch.some((t) => t.body.kind === "page" && t.body.folder === "inbox");
    if (streams) await memoryControl("start");
    await deliverBatch(workerEnv, batch);
    if (streams) memory = await memoryControl("stop");
  }
  const stored = await env.DB.prepare("SELECT size, state FROM message_attachments WHERE org_id = ?")
    .bind(big.org)
    .first<{ size: number; state: string }>();
  expect(stored).toEqual({ size: 30 * 1024 * 1024, state: "stored" });

  const perMessage = (n: number) => (n / TOTAL).toFixed(0);
  console.log(
    [
      `message store import: ${INBOX} inbox + ${SENT} sent items, ${BODY_CHARS}-char HTML bodies, ${ATTACHMENT_PERCENT}% with one ${ATTACHMENT_BYTES / 1024} KB attachment (Miniflare D1 + R2, fake Graph on loopback)`,
      `wall ${run.ms.toFixed(0)} ms | ${((TOTAL * 1000) / run.ms).toFixed(0)} messages/s | attachments stored ${attachments?.n}`,
      `Graph requests ${graph} (${((graph * 1000) / TOTAL).toFixed(1)} per 1,000 messages) by kind ${JSON.stringify(requests)}`,
      `D1 ${before} -> ${after} bytes: ${perMessage(after - before)} bytes per message (goal <= 1536)`,
      `  of which column values per message: ${Object.entries(payload)
        .map(([t, b]) => `${t} ${b.toFixed(0)}`)
        .join(", ")} (the rest: indexes, B-tree pages)`,
      `R2 ${r2.objects} objects, ${r2.bytes} bytes: ${perMessage(r2.bytes)} bytes per message`,
      `consumer invocation streaming a 30 MB attachment: workerd RSS ${(memory.start_kib / 1024).toFixed(0)} MiB before, peak ${(memory.peak_kib / 1024).toFixed(0)} MiB (+${((memory.peak_kib - memory.start_kib) / 1024).toFixed(0)} MiB)`,
    ].join("\n"),
  );
}, 1_800_000);
