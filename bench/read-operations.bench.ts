import { createExecutionContext } from "cloudflare:test";
import { expect, it } from "vitest";
import worker from "@/index";
import { createApp } from "@/lib/create-app";
import { requireAuth } from "@/middlewares/auth";
import { corsForAllowedOrigins } from "@/middlewares/cors";
import { securityHeaders } from "@/middlewares/security-headers";
import { call } from "../test/helpers/api";
import { addDomain } from "../test/helpers/domains";
import { add, createInbox, createSignature } from "../test/helpers/email-addresses";
import {
  allMessages,
  connect,
  connectTenant,
  harness,
  seedMailbox,
  uniqueMailbox,
  uniqueTenant,
} from "../test/helpers/mailbox-harness";
import { addAttachments } from "../test/helpers/message-store";
import { fillPath, type ServedOperation, servedOperations } from "../test/helpers/operations";
import { signToken } from "../test/helpers/tokens";

/**
 * `npm run bench`: every read operation (each GET the served /openapi.json lists, less the public ones and
 * connectOutlook, which writes an OAuth state) called in-process through the Worker's fetch handler with
 * an RS256 token from the JWKS, against two floors in the same workerd and the same call shape:
 * - `no-op`: a fetch handler that answers a fixed JSON body and does nothing else;
 * - `shell`: the app shell (src/lib/create-app.ts with the real middlewares and authentication) around
 *   a route that answers `{"ok":true}`: what every operation pays before its own work;
 * - `raw D1`: the list's one SELECT sent straight to D1 and its rows answered as JSON: the floor of a read
 *   that needs one query (local D1 runs in the same workerd, so its query cost is part of the number).
 * Samples alternate (no-op batch, operation batch, ...); each batch runs enough calls for the 1 ms clock
 * to resolve it. Reported: median µs per call, the speed ratio no-op/operation (the in-process
 * counterpart of the wrk list/no-op ratio in bench/wrk-hot-path.mjs), and raw-D1/operation: how close an
 * operation comes to one bare D1 query (local D1 costs far more than the whole no-op, so this is the ratio
 * the app's own overhead shows in; an operation that needs two queries cannot pass ~0.5).
 */
const SAMPLES = 21;
const TARGET_BATCH_MS = 25;
const ADDRESSES = 20;

const noop: ExportedHandler = {
  fetch: () => new Response('{"ok":true}', { headers: { "content-type": "application/json" } }),
};

function shellWorker(): ExportedHandler {
  const shell = createApp({
    outermost: [securityHeaders, corsForAllowedOrigins],
    authenticate: requireAuth,
    publicPaths: new Set(),
  });
  shell.get("/bench/shell", (c) => c.json({ ok: true }, 200));
  return shell as unknown as ExportedHandler;
}

/** The list's one D1 query written by hand, its rows answered as JSON: what listEmailAddresses cannot go below. */
function rawListWorker(org: string): ExportedHandler<{ DB: D1Database }> {
  return {
    async fetch(_request, env) {
      const { results } = await env.DB.prepare(
        "SELECT * FROM email_addresses WHERE org_id = ? ORDER BY created_at, rowid",
      )
        .bind(org)
        .all();
      return Response.json(results);
    },
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

type Target = { handler: ExportedHandler; url: string };

/** Seeds one org so every read operation answers 200; answers the path values for the templates. */
async function seed() {
  const h = harness();
  const org = `bench-reads-${crypto.randomUUID()}`;
  const inbox = await createInbox(org, "Support");
  await createSignature(org);
  let firstAddress = "";
  for (let i = 0; i < ADDRESSES; i++) {
    const created = await add(org, { address: `sender-${i}@bench.example`, name: `Sender ${i}`, user_ids: ["u-1"] });
    firstAddress ||= created.id;
  }
  await addDomain(org, `bench-${crypto.randomUUID().slice(0, 8)}.com`);
  const tenant = uniqueTenant();
  const email = uniqueMailbox("bench");
  await connectTenant(org, tenant);
  const seededMessages = await seedMailbox({
    email,
    tenant,
    inbox: 20,
    sentitems: 0,
    body_html: "<p>Hello <b>there</b></p>",
  });
  // Every message has one small attachment, so getSharedInboxMessageAttachment has one to serve.
  for (const message of seededMessages) {
    await addAttachments(email, message.id, [{ name: "invoice.pdf", size: 20_000, content_type: "application/pdf" }]);
  }
  await connect(h.api, org, email, { mailboxSyncTimeframe: "1m" });
  await h.drain();
  const messages = await allMessages(h.api, org);
  const first = await call<{ attachments: { id: string }[] }>(
    "GET",
    `/v2/email-settings/shared-inboxes/default/messages/${messages[0]?.id ?? "none"}`,
    { org },
  );
  // Last, and for an event nothing here fires, so the bench sends no delivery anywhere (when the Worker
  // has webhooks: the bench also runs on older checkouts for before/after numbers).
  const webhook = await call<{ id: string }>("POST", "/v2/email-settings/webhooks", {
    org,
    body: { url: "https://hooks.example.com/bench", event_types: ["domain.verified"] },
  });
  expect([201, 404], JSON.stringify(webhook.body)).toContain(webhook.status);
  const values: Record<string, string> = {
    id: inbox,
    email,
    message_id: messages[0]?.id ?? "none",
    attachment_id: first.status === 200 ? (first.body.attachments[0]?.id ?? "none") : "none",
  };
  return {
    org,
    values,
    firstAddress,
    webhookId: webhook.status === 201 ? webhook.body.id : "",
    workerEnv: h.workerEnv,
  };
}

/** Path values per operation where one template's `{id}` means another thing. */
function pathFor(op: ServedOperation, seeded: Awaited<ReturnType<typeof seed>>): string {
  const values = { ...seeded.values };
  if (op.operationId === "getEmailAddress") values.id = seeded.firstAddress;
  if (op.operationId.includes("SharedInboxMessage")) values.id = "default";
  if (op.path.startsWith("/v2/email-settings/webhooks/")) values.id = seeded.webhookId;
  const query = op.requiredQuery.map((name) => `${name}=${encodeURIComponent(QUERY_VALUES[name] ?? "")}`).join("&");
  return fillPath(op.path, values) + (query ? `?${query}` : "");
}

/** Values for required query parameters (getSettings lists one setting type). */
const QUERY_VALUES: Record<string, string> = { type: "signature" };

/** workerd moves its clock on I/O; a timer tick before each reading makes the reading current. */
async function now(): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  return performance.now();
}

/** Calls targets the way the runtime calls a Worker (same headers and env), and times them against a floor. */
function timer(headers: Record<string, string>, env: Record<string, unknown>) {
  async function once(target: Target): Promise<number> {
    const response = await target.handler.fetch?.(
      new Request(target.url, { headers }) as Request<unknown, IncomingRequestCfProperties>,
      env,
      createExecutionContext(),
    );
    if (!response) throw new Error("no response");
    await response.text();
    return response.status;
  }
  async function batch(target: Target, calls: number): Promise<number> {
    const started = await now();
    for (let i = 0; i < calls; i++) await once(target);
    return ((await now()) - started) / calls;
  }
  /** Calls per batch so one batch takes about TARGET_BATCH_MS. */
  async function calibrate(target: Target): Promise<number> {
    for (let calls = 1; ; calls *= 2) {
      const ms = (await batch(target, calls)) * calls;
      if (ms >= 5 || calls >= 4096) return Math.max(1, Math.ceil((calls * TARGET_BATCH_MS) / Math.max(ms, 1)));
    }
  }
  /** Median µs per call of `target` and of `floor`, their batches alternated. */
  const floorCalls = new Map<Target, number>();
  async function compare(target: Target, floor: Target) {
    if (!floorCalls.has(floor)) {
      await calibrate(floor); // warm-up: the first batches run before the JIT has the floor's code
      floorCalls.set(floor, await calibrate(floor));
    }
    const calls = await calibrate(target);
    const times: number[] = [];
    const floorTimes: number[] = [];
    for (let s = 0; s < SAMPLES; s++) {
      floorTimes.push(await batch(floor, floorCalls.get(floor) ?? 1));
      times.push(await batch(target, calls));
    }
    return { us: median(times) * 1000, floorUs: median(floorTimes) * 1000 };
  }
  return { once, compare };
}

type Timing = { us: number; floorUs: number };

function row(name: string, status: number, r: Timing, rawUs?: number): string {
  return [
    name.padEnd(36),
    String(status).padStart(6),
    r.us.toFixed(0).padStart(8),
    r.floorUs.toFixed(0).padStart(8),
    (r.floorUs / r.us).toFixed(3).padStart(13),
    (rawUs ? (rawUs / r.us).toFixed(2) : "").padStart(15),
  ].join(" | ");
}

it("times every read operation against a no-op route in the same workerd", async () => {
  const seeded = await seed();
  const token = await signToken({ org: seeded.org });
  const { once, compare } = timer({ authorization: `Bearer ${token}` }, seeded.workerEnv as never);
  const noopTarget: Target = { handler: noop, url: "https://api.test/bench/noop" };
  const shellTarget: Target = { handler: shellWorker(), url: "https://api.test/bench/shell" };
  const rawTarget: Target = {
    handler: rawListWorker(seeded.org) as ExportedHandler,
    url: "https://api.test/bench/raw",
  };
  expect(await once(shellTarget)).toBe(200);
  expect(await once(rawTarget)).toBe(200);

  const rows = [row("shell (auth + middleware, no work)", 200, await compare(shellTarget, noopTarget))];
  const raw = await compare(rawTarget, noopTarget);
  rows.push(row("raw D1 list query + JSON (no app)", 200, raw));
  const operations = (await servedOperations()).filter(
    (op) => op.method === "GET" && !op.isPublic && op.operationId !== "connectOutlook",
  );
  for (const op of operations) {
    const target: Target = { handler: worker as ExportedHandler, url: `https://api.test${pathFor(op, seeded)}` };
    const status = await once(target);
    // Every operation is timed on its successful answer (a 4xx would time the error path instead).
    expect(status, `${op.operationId} ${target.url}`).toBe(200);
    rows.push(row(op.operationId, status, await compare(target, noopTarget), raw.us));
  }
  const list = await call("GET", "/v2/email-settings/email-addresses", { org: seeded.org });
  // The seeded addresses plus the connected mailbox's own.
  const listed = (list.body as unknown[]).length;
  expect(listed).toBeGreaterThanOrEqual(ADDRESSES);
  console.log(
    [
      "",
      `read operations in-process (RS256 token, ${listed} addresses, ${SAMPLES} alternated samples per row, medians)`,
      `${"operation".padEnd(36)} | status | op µs    | no-op µs | no-op/op rate | raw-D1/op rate`,
      ...rows,
      "",
    ].join("\n"),
  );
}, 600_000);
