import {
  createExecutionContext,
  createScheduledController,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { servicesFor } from "@/entry/services";
import { runLiveTask } from "@/features/mailboxes/live/run";
import type { LiveState } from "@/features/mailboxes/live/state";
import { lockStub } from "@/features/mailboxes/sync/lock-stub";
import worker from "@/index";
import { appConfig } from "@/lib/config";
import type { AppEnv } from "@/lib/types";
import { call, uniqueOrg } from "../test/helpers/api";
import { startGraphRelay } from "../test/helpers/graph-relay";
import { grantAdminConsent, PUBLIC_BASE_URL } from "../test/helpers/live-harness";
import { addGraphMessage, connectTenant, graphMailbox, seedMailbox } from "../test/helpers/mailbox-harness";

/**
 * `npm run bench -- bench/live-sync.bench.ts`: the cost of live sync for 100 connected, idle mailboxes
 * over a simulated hour, in polling and in notification mode, and the lag from a change at Graph to the
 * list while 1,000 new messages arrive across them.
 *
 * Idle hour: the hour's events come from the deployment defaults (polling: a delta run every
 * MAILBOX_POLL_INTERVAL_SECONDS; notifications: a backstop run every MAILBOX_BACKSTOP_POLL_SECONDS and a
 * renewal run every half MAILBOX_SUBSCRIPTION_LIFETIME_MINUTES, counted pro rata). Every event is really
 * executed: the mailbox's Durable Object grants the run, and the queue consumer's code (runLiveTask) runs it
 * in-process with a counting proxy around env.DB; Graph requests come from the fake Graph's stats.
 * The mailboxes are connected with an interval of a day, so their own alarms add nothing meanwhile.
 *
 * Lag: the mailboxes then get the default intervals; 1,000 messages are added at the fake Graph (10 per
 * mailbox) and the lag is `imported_at` minus the message's arrival, through the real path: the fake's
 * notification, the relay, the Worker's endpoint, the object, wrangler.toml's queue consumer, D1.
 */
const MAILBOXES = 100;
const MESSAGES = 1_000;
const HOUR_S = 3_600;
const defaults = appConfig({});

function countingD1(db: D1Database) {
  const counts = { statements: 0 };
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values));
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop === "run" || prop === "all" || prop === "first" || prop === "raw") {
          return (...args: unknown[]) => {
            counts.statements++;
            return value.apply(target, args);
          };
        }
        return value.bind(target);
      },
    });
  const unwrap = (s: D1PreparedStatement) => s;
  const proxy = new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => wrap(target.prepare(query));
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) => {
          counts.statements += statements.length;
          return target.batch(statements.map(unwrap));
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db: proxy, counts };
}

interface Fleet {
  org: string;
  tenant: string;
  emails: string[];
}

async function connectFleet(mode: "polling" | "notifications"): Promise<Fleet> {
  const org = uniqueOrg(`bench-${mode}`);
  const tenant = crypto.randomUUID();
  await connectTenant(org, tenant);
  if (mode === "notifications") await grantAdminConsent(tenant);
  const vars = {
    MAILBOX_POLL_INTERVAL_SECONDS: "86400",
    MAILBOX_BACKSTOP_POLL_SECONDS: "86400",
    ...(mode === "notifications" && { PUBLIC_BASE_URL }),
  } as unknown as Partial<AppEnv>;
  const emails: string[] = [];
  for (let i = 0; i < MAILBOXES; i++) {
    const email = `bench-${mode}-${i}-${crypto.randomUUID().slice(0, 6)}@contoso.test`;
    await seedMailbox({ email, tenant });
    const connected = await call("POST", "/v2/outlook/mailbox/connect", { org, body: { email }, env: vars });
    expect(connected.status).toBe(201);
    emails.push(email);
  }
  await waitUntil(async () => {
    for (const email of emails) {
      const state = await stateOf(org, email);
      if (!state?.lastDeltaAt || (mode === "notifications" && state.subscriptions.length < 2)) return false;
    }
    return true;
  }, 120_000);
  return { org, tenant, emails };
}

const stateOf = (org: string, email: string) =>
  runInDurableObject(lockStub(servicesFor(env as unknown as AppEnv), org, email), (_i, s) =>
    s.storage.get<LiveState>("live"),
  );

async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** One run of the consumer's code, granted by the mailbox's object (with the subscriptions' upkeep when `renew`). */
async function oneRun(workerEnv: AppEnv, org: string, email: string, renew: boolean) {
  const runId = crypto.randomUUID();
  await runInDurableObject(lockStub(servicesFor(env as unknown as AppEnv), org, email), async (_i, s) => {
    const state = (await s.storage.get<LiveState>("live")) as LiveState;
    state.run = { id: runId, expiresAt: Date.now() + 60_000 };
    state.pending = false;
    if (renew) {
      state.subscriptionWork = true;
      for (const sub of state.subscriptions) sub.renewNow = true;
    }
    await s.storage.put("live", state);
  });
  await runLiveTask(servicesFor(workerEnv), { kind: "live", orgId: org, mailbox: email, runId });
}

const graphCount = async (emails: string[]) => {
  let n = 0;
  for (const email of emails) {
    const { requests } = (await graphMailbox(email)).stats;
    n += (requests.delta ?? 0) + (requests.subscription ?? 0) + (requests.page ?? 0) + (requests.message ?? 0);
  }
  return n;
};

/** Measures `runs` runs per mailbox (all mailboxes, 10 at a time): Graph requests and D1 statements per mailbox. */
async function measure(fleet: Fleet, runs: number, renew: boolean) {
  const { db, counts } = countingD1(env.DB);
  const workerEnv = { ...(env as unknown as AppEnv), DB: db };
  const before = await graphCount(fleet.emails);
  for (let i = 0; i < fleet.emails.length; i += 10) {
    await Promise.all(
      fleet.emails.slice(i, i + 10).map(async (email) => {
        for (let r = 0; r < runs; r++) await oneRun(workerEnv, fleet.org, email, renew);
      }),
    );
  }
  const graph = (await graphCount(fleet.emails)) - before;
  return { graph: graph / fleet.emails.length / runs, d1: counts.statements / fleet.emails.length / runs };
}

async function applyDefaults(vars: Record<string, string>) {
  const ctx = createExecutionContext();
  await worker.scheduled?.(createScheduledController(), { ...(env as unknown as AppEnv), ...vars } as AppEnv, ctx);
  await waitOnExecutionContext(ctx);
}

async function lag(fleet: Fleet) {
  const arrivals = new Map<string, number>();
  for (let i = 0; i < MESSAGES; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, async (_, k) => {
        const email = fleet.emails[(i + k) % fleet.emails.length] as string;
        const m = await addGraphMessage(email, { subject: `lag ${i + k}` });
        arrivals.set(m.id, Date.parse(m.receivedDateTime));
      }),
    );
  }
  const ids = JSON.stringify([...arrivals.keys()]);
  await waitUntil(async () => {
    const row = await env.DB.prepare(
      "SELECT count(*) AS n FROM imported_messages WHERE org_id = ? AND graph_id IN (SELECT value FROM json_each(?))",
    )
      .bind(fleet.org, ids)
      .first<{ n: number }>();
    return (row?.n ?? 0) >= MESSAGES;
  }, 300_000);
  const { results } = await env.DB.prepare(
    "SELECT graph_id, imported_at FROM imported_messages WHERE org_id = ? AND graph_id IN (SELECT value FROM json_each(?))",
  )
    .bind(fleet.org, ids)
    .all<{ graph_id: string; imported_at: string }>();
  const lags = results.map((r) => Date.parse(r.imported_at) - (arrivals.get(r.graph_id) ?? 0)).sort((a, b) => a - b);
  return { median: lags[Math.floor(lags.length / 2)] ?? 0, max: lags.at(-1) ?? 0, count: lags.length };
}

it("polling mode: 100 idle mailboxes for an hour, then 1,000 new messages", { timeout: 900_000 }, async () => {
  const fleet = await connectFleet("polling");
  const runsPerHour = HOUR_S / defaults.MAILBOX_POLL_INTERVAL_SECONDS;
  const sample = 6; // runs measured per mailbox, scaled to the hour's runs
  const perRun = await measure(fleet, sample, false);
  await applyDefaults({});
  const lags = await lag(fleet);
  console.log(
    `live sync, polling (poll every ${defaults.MAILBOX_POLL_INTERVAL_SECONDS} s): ` +
      `${(perRun.graph * runsPerHour).toFixed(1)} Graph requests and ${(perRun.d1 * runsPerHour).toFixed(1)} D1 ` +
      `statements per idle mailbox-hour (${runsPerHour} runs); lag over ${lags.count} messages: median ` +
      `${(lags.median / 1000).toFixed(1)} s, max ${(lags.max / 1000).toFixed(1)} s`,
  );
  expect(lags.count).toBe(MESSAGES);
});

it("notification mode: 100 idle mailboxes for an hour, then 1,000 new messages", { timeout: 900_000 }, async () => {
  // This bench owns the fake Graph: every pending request is relayed (the fleet's tenant is made inside).
  const relay = startGraphRelay({ all: true });
  try {
    const fleet = await connectFleet("notifications");
    const backstopRuns = HOUR_S / defaults.MAILBOX_BACKSTOP_POLL_SECONDS;
    const renewalsPerHour = HOUR_S / ((defaults.MAILBOX_SUBSCRIPTION_LIFETIME_MINUTES * 60) / 2);
    const backstop = await measure(fleet, 3, false);
    const renewal = await measure(fleet, 1, true);
    const graph = backstop.graph * backstopRuns + renewal.graph * renewalsPerHour;
    const d1 = backstop.d1 * backstopRuns + renewal.d1 * renewalsPerHour;
    await applyDefaults({ PUBLIC_BASE_URL });
    const lags = await lag(fleet);
    console.log(
      `live sync, notifications (backstop every ${defaults.MAILBOX_BACKSTOP_POLL_SECONDS} s, renewal every ` +
        `${defaults.MAILBOX_SUBSCRIPTION_LIFETIME_MINUTES / 2} min): ${graph.toFixed(2)} Graph requests and ` +
        `${d1.toFixed(2)} D1 statements per idle mailbox-hour; lag over ${lags.count} messages: median ` +
        `${(lags.median / 1000).toFixed(1)} s, max ${(lags.max / 1000).toFixed(1)} s`,
    );
    expect(graph).toBeLessThanOrEqual(8);
    expect(lags.count).toBe(MESSAGES);
  } finally {
    await relay.stop();
  }
});
