import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import worker from "@/index";
import type { AppEnv } from "@/lib/types";

/**
 * The relay between the fake Graph (test/servers/fake-graph/) and the Worker under test.
 *
 * In vitest-pool-workers the Worker listens on no port, so Graph's requests to it (the validation
 * handshake of `POST /subscriptions`, change notifications, lifecycle events) wait in the fake's outbox.
 * The relay runs inside the test (workerd): it claims them (`GET /__outbox`, long-polled), hands each to
 * the Worker's fetch handler and posts the Worker's answer back (`POST /__outbox/{id}/response`), so the
 * fake sees the status, content type and body the Worker gave. The loop runs concurrently with the test,
 * so a `POST /subscriptions` the Worker is awaiting completes its handshake while the Worker waits.
 *
 * Usage:
 * ```ts
 * const relay = startGraphRelay({ tenants: [tenant], env: overrides }); // env: as harness().api passes
 * try {
 *   await connect(api, org, email);                 // the Worker subscribes; the relay answers the handshake
 *   await addGraphMessage(email, { folder: "inbox" }); // a change: the fake queues a notification
 *   await relay.idle();                             // until the outbox is empty for these tenants
 *   expect(relay.delivered().filter((d) => d.purpose === "notification")).toHaveLength(1);
 * } finally {
 *   await relay.stop();
 * }
 * await relayOnce({ mailboxes: [email] }); // one-shot: deliver what is pending now
 * ```
 * Scope every relay to its test's tenants or mailboxes: test files share one fake Graph, and a relay
 * without a scope would hand other files' requests to this file's Worker (`all: true` to really mean it).
 * `target` replaces the Worker (a stand-in route for the fake's own tests).
 */

export type RelayPurpose = "validation" | "notification" | "lifecycle";

export interface OutboxRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  purpose: RelayPurpose;
  tenant: string;
  mailbox: string | null;
  subscription_id: string | null;
  queued_at: string;
}

export interface RelayDelivery {
  id: string;
  purpose: RelayPurpose;
  url: string;
  mailbox: string | null;
  subscription_id: string | null;
  /** The status the Worker answered (502 when its handler threw). */
  status: number;
  /** What the fake made of the answer: "ok", or "late" when it came after Graph's deadline. */
  accepted: string;
  queued_at: string;
  answered_at: string;
  error?: string;
}

export interface RelayOptions {
  tenants?: string[];
  mailboxes?: string[];
  purposes?: RelayPurpose[];
  /** Relay every pending request, whatever its tenant (only for a run that owns the fake alone). */
  all?: boolean;
  /** Config/bindings overrides: the request goes to `worker.fetch` with the test env plus these. */
  env?: Partial<AppEnv>;
  /** Instead of the Worker: answers each request (e.g. a stand-in route). */
  target?: (request: Request, entry: OutboxRequest) => Promise<Response>;
  /** Long-poll wait per outbox read, ms (default 250). */
  waitMs?: number;
  /** Called after each delivery (e.g. a bench counting them). */
  onDelivery?: (delivery: RelayDelivery) => void;
}

const admin = () => (env as unknown as { TEST_GRAPH_ADMIN_URL: string }).TEST_GRAPH_ADMIN_URL;

function outboxQuery(options: RelayOptions, waitMs: number, peek = false) {
  if (!options.all && !options.tenants?.length && !options.mailboxes?.length) {
    throw new Error("graph relay: pass tenants or mailboxes (or all: true)");
  }
  const query = new URLSearchParams();
  for (const t of options.tenants ?? []) query.append("tenant", t);
  for (const m of options.mailboxes ?? []) query.append("mailbox", m);
  for (const p of options.purposes ?? []) query.append("purpose", p);
  query.set("wait_ms", String(waitMs));
  if (peek) query.set("peek", "1");
  return `${admin()}/__outbox?${query}`;
}

async function claim(options: RelayOptions, waitMs: number): Promise<{ requests: OutboxRequest[]; pending: number }> {
  const response = await fetch(outboxQuery(options, waitMs));
  if (response.status !== 200) throw new Error(`graph relay: GET /__outbox answered ${response.status}`);
  return (await response.json()) as { requests: OutboxRequest[]; pending: number };
}

/** Hands one outbox request to the Worker (or `options.target`) and posts its answer back to the fake. */
async function deliver(entry: OutboxRequest, options: RelayOptions): Promise<RelayDelivery> {
  const request = new Request(entry.url, { method: entry.method, headers: entry.headers, body: entry.body });
  let status = 502;
  let headers: Record<string, string> = {};
  let body = "";
  let error: string | undefined;
  let ctx: ExecutionContext | undefined;
  try {
    let response: Response;
    if (options.target) response = await options.target(request, entry);
    else if (options.env) {
      ctx = createExecutionContext();
      response = await worker.fetch(request, { ...(env as unknown as AppEnv), ...options.env }, ctx);
    } else response = await exports.default.fetch(request);
    status = response.status;
    headers = Object.fromEntries(response.headers);
    body = await response.text();
  } catch (err) {
    error = String(err);
  }
  const posted = await fetch(`${admin()}/__outbox/${encodeURIComponent(entry.id)}/response`, {
    method: "POST",
    body: JSON.stringify({ status, headers, body }),
  });
  const accepted = posted.status === 404 ? "unknown" : ((await posted.json()) as { result: string }).result;
  // Work the Worker left in waitUntil finishes after Graph has its answer, as in production.
  if (ctx) await waitOnExecutionContext(ctx);
  const delivery: RelayDelivery = {
    id: entry.id,
    purpose: entry.purpose,
    url: entry.url,
    mailbox: entry.mailbox,
    subscription_id: entry.subscription_id,
    status,
    accepted,
    queued_at: entry.queued_at,
    answered_at: new Date().toISOString(),
    ...(error ? { error } : {}),
  };
  options.onDelivery?.(delivery);
  return delivery;
}

/** One pass: delivers the requests pending now (waiting up to `waitMs` for a first one); answers them. */
export async function relayOnce(options: RelayOptions & { waitMs?: number } = {}): Promise<RelayDelivery[]> {
  const { requests } = await claim(options, options.waitMs ?? 0);
  return Promise.all(requests.map((entry) => deliver(entry, options)));
}

export interface GraphRelay {
  /** Ends the loop and waits for deliveries in flight. */
  stop(): Promise<void>;
  /** Every delivery so far, in the order they were answered. */
  delivered(): RelayDelivery[];
  /** How many deliveries (of `purpose`, if given). */
  count(purpose?: RelayPurpose): number;
  /** Resolves once nothing is pending in the outbox for this relay's scope and nothing is in flight. */
  idle(timeoutMs?: number): Promise<void>;
}

/** Starts the relay loop (see the file comment). */
export function startGraphRelay(options: RelayOptions = {}): GraphRelay {
  outboxQuery(options, 0); // fail fast on a missing scope
  const deliveries: RelayDelivery[] = [];
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let lastPending = 0;
  const waitMs = options.waitMs ?? 250;
  const loop = (async () => {
    while (!stopped) {
      let batch: Awaited<ReturnType<typeof claim>>;
      try {
        batch = await claim(options, waitMs);
      } catch {
        if (stopped) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      lastPending = batch.pending;
      for (const entry of batch.requests) {
        const job: Promise<void> = deliver(entry, options)
          .then((d) => {
            deliveries.push(d);
          })
          .finally(() => inFlight.delete(job));
        inFlight.add(job);
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await Promise.all([...inFlight]);
    },
    delivered: () => [...deliveries],
    count: (purpose) => deliveries.filter((d) => !purpose || d.purpose === purpose).length,
    async idle(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await Promise.all([...inFlight]);
        const peek = await fetch(outboxQuery(options, 0, true));
        const { requests, pending } = (await peek.json()) as { requests: OutboxRequest[]; pending: number };
        lastPending = pending;
        if (requests.length === 0 && pending === 0 && inFlight.size === 0) return;
        if (Date.now() > deadline) throw new Error(`graph relay: still ${lastPending} pending after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}
