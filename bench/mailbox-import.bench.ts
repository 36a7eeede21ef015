import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { ConnectOutlookMailboxResponseSchema, MailboxSyncStatusSchema } from "@/features/mailboxes/mailboxes.schemas";
import type { AppEnv } from "@/lib/types";
import { call, expectBody, uniqueOrg } from "../test/helpers/api";
import {
  CapturingQueue,
  connectTenant,
  deliverBatch,
  graphStats,
  type Pending,
  seedMailbox,
  testEnv,
} from "../test/helpers/mailbox-harness";
import { messageRows } from "../test/helpers/rows";
import { countingD1 } from "./counting-d1";

/**
 * `npm run bench`: imports a 10,000-message mailbox (6,000 Inbox + 4,000 Sent Items, all inside the `1m`
 * window) from the fake Graph (test/servers/fake-graph.ts) end to end through the Worker: connect,
 * startMailboxSync, then the queue is drained by handing its messages to the Worker's queue() handler in
 * batches of 10 (wrangler.toml's max_batch_size), as test/mailboxes.test.ts does, without the consumer's
 * max_batch_timeout wait. The Worker asks Graph for pages of MESSAGE_PAGE_SIZE (100); the fake allows 1000.
 *
 * D1 statements are counted by a proxy around env.DB in the env the Worker gets (a `db.batch` of n
 * statements counts n). Graph requests come from the fake's per-mailbox stats and include the connect
 * check. The second run imports a fresh copy of the mailbox with every batch delivered twice.
 */
const INBOX = 6_000;
const SENT = 4_000;
const TOTAL = INBOX + SENT;
/** Body size per generated message (characters of HTML), about a short real e-mail. */
const BODY_CHARS = 2_000;
const BATCH_SIZE = 10;
/**
 * The tests' time limits (420 s and 300 s) are generous, since a slow machine (2 shared cores: about 100 s per
 * import) must still print its numbers; they bound the run, they measure nothing.
 */

async function graphRequests(email: string): Promise<Record<string, number>> {
  return (await graphStats(email)).stats.requests;
}

/**
 * The mailbox's stored messages wherever they are (its Durable Object for a mailbox connected now, D1's
 * `imported_messages` for one from before the objects; test/helpers/rows.ts reads both), how many distinct
 * Graph ids they have, and how many of them are in D1.
 */
async function rowCounts(org: string, email: string) {
  const rows = await messageRows(org, { mailbox: email });
  const inD1 = await env.DB.prepare("SELECT count(*) AS n FROM imported_messages WHERE org_id = ? AND mailbox = ?")
    .bind(org, email)
    .first<{ n: number }>();
  return { rows: rows.length, distinct: new Set(rows.map((row) => row.graph_id)).size, inD1: inD1?.n ?? 0 };
}

interface RunResult {
  ms: number;
  status: string;
  rows: number;
  distinct: number;
  /** Of `rows`, those in D1's imported_messages (0: all in the mailbox's object). */
  inD1: number;
  graph: number;
  graphPages: number;
  statements: number;
  roundTrips: number;
  deliveries: number;
  /** Tasks the duplicate deliveries sent (0: a redelivered page task finds its page done and stops). */
  duplicateSends: number;
}

/**
 * One end-to-end import of a fresh 10,000-message mailbox. With `duplicate`, every batch is handed to
 * queue() a second time right after the first (at-least-once delivery). Whatever the duplicate
 * deliveries send stays queued and is counted; the consumer's page cursor makes that zero.
 */
async function importMailbox(duplicate: boolean): Promise<RunResult> {
  const org = uniqueOrg("bench");
  const tenant = crypto.randomUUID();
  const email = `bench-${crypto.randomUUID().slice(0, 8)}@contoso.test`;
  await connectTenant(org, tenant);
  await seedMailbox({ email, tenant, inbox: INBOX, sentitems: SENT, body_chars: BODY_CHARS });

  const queue = new CapturingQueue();
  const { db, counts } = countingD1(env.DB);
  const overrides: Partial<AppEnv> = {
    DB: db,
    MS_GRAPH_BASE_URL: testEnv.TEST_GRAPH_BASE_URL,
    MAILBOX_SYNC_QUEUE: queue as unknown as Queue,
  };
  const workerEnv = { ...(env as unknown as AppEnv), ...overrides };
  const deliver = (messages: Pending[]) => deliverBatch(workerEnv, messages);
  const path = `/v2/outlook/mailbox/${encodeURIComponent(email)}`;

  const started = performance.now();
  expectBody(
    await call("POST", "/v2/outlook/mailbox/connect", { org, body: { email }, env: overrides }),
    201,
    ConnectOutlookMailboxResponseSchema,
  );
  const start = await call("POST", `${path}/sync`, { org, body: { timeframe: "1m" }, env: overrides });
  if (start.status !== 202) throw new Error(`startMailboxSync answered ${start.status}`);
  let deliveries = 0;
  let duplicateSends = 0;
  while (queue.pending.length > 0) {
    if (deliveries > 10_000) throw new Error("the queue does not drain");
    const batch = queue.pending.splice(0, BATCH_SIZE);
    const result = await deliver(batch);
    deliveries++;
    if (duplicate) {
      const queued = queue.pending.length;
      await deliver(batch.map((m) => ({ ...m, attempts: m.attempts + 1 })));
      duplicateSends += queue.pending.length - queued;
      deliveries++;
    }
    for (const r of result.retryMessages) {
      const m = batch.find((x) => x.id === r.msgId);
      if (m) queue.pending.push({ ...m, attempts: m.attempts + 1 });
    }
  }
  const ms = performance.now() - started;

  const status = MailboxSyncStatusSchema.parse((await call("GET", `${path}/sync/status`, { org })).body);
  expect(status.inbox).toMatchObject({ status: "COMPLETED", total_messages: INBOX, processed_messages: INBOX });
  expect(status.sent_items).toMatchObject({ status: "COMPLETED", total_messages: SENT, processed_messages: SENT });
  const requests = await graphRequests(email);
  return {
    ms,
    status: status.status,
    ...(await rowCounts(org, email)),
    graph: Object.values(requests).reduce((a, b) => a + b, 0),
    graphPages: requests.page ?? 0,
    statements: counts.statements,
    roundTrips: counts.roundTrips,
    deliveries,
    duplicateSends,
  };
}

it(`imports a ${TOTAL}-message mailbox end to end, then again with every batch delivered twice`, async () => {
  const plain = await importMailbox(false);
  const twice = await importMailbox(true);
  const rows: Record<string, RunResult> = { import: plain, "redelivered x2": twice };

  const per1k = (n: number) => ((n * 1000) / TOTAL).toFixed(1);
  const lines = [
    `mailbox import: ${INBOX} inbox + ${SENT} sent items (${BODY_CHARS}-char bodies), timeframe 1m, Graph pages of 100, queue batches of ${BATCH_SIZE} delivered by hand`,
    "run             | status    | wall ms | msg/s | Graph req | Graph/1k | D1 stmts | D1/1k | D1 trips | deliveries | rows  | duplicates",
    ...Object.entries(rows).map(([name, r]) =>
      [
        name.padEnd(15),
        r.status.padEnd(9),
        r.ms.toFixed(0).padStart(7),
        ((TOTAL * 1000) / r.ms).toFixed(0).padStart(5),
        String(r.graph).padStart(9),
        per1k(r.graph).padStart(8),
        String(r.statements).padStart(8),
        per1k(r.statements).padStart(5),
        String(r.roundTrips).padStart(8),
        String(r.deliveries).padStart(10),
        String(r.rows).padStart(5),
        String(r.rows - r.distinct).padStart(10),
      ].join(" | "),
    ),
    `redelivery: duplicate deliveries sent ${twice.duplicateSends} tasks; ` +
      `msg/s redelivered x2 / import = ${(plain.ms / twice.ms).toFixed(2)}` +
      `; Graph requests/1k target <= 12`,
    `where the rows are: ${Object.entries(rows)
      .map(([name, r]) => `${name} ${r.rows - r.inD1} in the mailbox object, ${r.inD1} in D1`)
      .join("; ")}`,
  ];
  console.log(`\n${lines.join("\n")}\n`);

  for (const r of Object.values(rows)) {
    expect(r.status).toBe("COMPLETED");
    expect(r.rows).toBe(TOTAL);
    expect(r.distinct).toBe(TOTAL);
  }
  expect((plain.graph * 1000) / TOTAL).toBeLessThanOrEqual(12);
}, 420_000);

it(`the same ${TOTAL}-message import through the real queue (Miniflare's consumer of wrangler.toml)`, async () => {
  // No overrides: MAILBOX_SYNC_QUEUE is the binding from wrangler.toml and Miniflare calls queue() with
  // max_batch_size 10 / max_batch_timeout 1 s, so each page of a folder waits for the batch timeout.
  const org = uniqueOrg("bench");
  const tenant = crypto.randomUUID();
  const email = `bench-real-${crypto.randomUUID().slice(0, 8)}@contoso.test`;
  await connectTenant(org, tenant);
  await seedMailbox({ email, tenant, inbox: INBOX, sentitems: SENT, body_chars: BODY_CHARS });
  const path = `/v2/outlook/mailbox/${encodeURIComponent(email)}`;
  const started = performance.now();
  expectBody(
    await call("POST", "/v2/outlook/mailbox/connect", { org, body: { email } }),
    201,
    ConnectOutlookMailboxResponseSchema,
  );
  const start = await call("POST", `${path}/sync`, { org, body: { timeframe: "1m" } });
  expect(start.status).toBe(202);
  let status = MailboxSyncStatusSchema.parse((await call("GET", `${path}/sync/status`, { org })).body);
  const deadline = started + 290_000;
  while (status.status === "RUNNING" && performance.now() < deadline) {
    await scheduler.wait(100);
    status = MailboxSyncStatusSchema.parse((await call("GET", `${path}/sync/status`, { org })).body);
  }
  const ms = performance.now() - started;
  const requests = await graphRequests(email);
  const graph = Object.values(requests).reduce((a, b) => a + b, 0);
  const counts = await rowCounts(org, email);
  console.log(
    [
      "",
      `real queue (Miniflare consumer, batches of 10, max_batch_timeout 1 s), polled every 100 ms:`,
      `status ${status.status}, wall ${ms.toFixed(0)} ms, ${((TOTAL * 1000) / ms).toFixed(0)} msg/s, ` +
        `Graph ${graph} requests (${((graph * 1000) / TOTAL).toFixed(1)}/1k), rows ${counts.rows}, duplicates ${counts.rows - counts.distinct}`,
      "",
    ].join("\n"),
  );
  expect(status.status).toBe("COMPLETED");
  expect(counts.rows).toBe(TOTAL);
  expect(counts.distinct).toBe(TOTAL);
}, 300_000);
