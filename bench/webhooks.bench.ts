import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { getDb } from "@/db/client";
import { dispatchWebhookDeliveries } from "@/db/outbox/dispatch";
import { eventStatements } from "@/db/outbox/outbox";
import { servicesFor } from "@/entry/services";
import type { AppEnv } from "@/lib/types";
import { uniqueOrg } from "../test/helpers/api";
import { deliverBatch, RECEIVER, received, webhookHarness } from "../test/helpers/webhook-harness";

/**
 * `npm run bench -- bench/webhooks.bench.ts`: 1,000 events of one org fanned out to 3 webhook endpoints on
 * the loopback receiver (test/servers/webhook-receiver.ts): 3,000 signed deliveries through the Worker's
 * queue consumer, batches of 20 (wrangler.toml max_batch_size), 5 batches at a time (as if max_concurrency
 * were 5). Reports deliveries per second (dispatch + consumer, wall time) and the D1 statements per
 * delivery, counted at the D1 binding (every statement drizzle prepares), split by phase.
 */
const EVENTS = 1000;
const ENDPOINTS = 3;
const BATCH = 20;
const CONCURRENT_BATCHES = 5;

/** The D1 binding, counting every statement prepared through it. */
function countingD1(real: D1Database) {
  const counter = { statements: 0 };
  const db = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === "prepare") {
        return (query: string) => {
          counter.statements++;
          return target.prepare(query);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db, counter };
}

it(`delivers ${EVENTS} events to ${ENDPOINTS} endpoints`, async () => {
  const { db: countedDb, counter } = countingD1(env.DB);
  const h = webhookHarness({ DB: countedDb, WEBHOOK_ENDPOINT_CONCURRENCY: "4" });
  const org = uniqueOrg("bench");
  const hooks = [];
  for (let i = 0; i < ENDPOINTS; i++) hooks.push(await h.createWebhook(org));

  // Emission: each event in its own batch, as a feature's state change would carry it.
  counter.statements = 0;
  const db = getDb(countedDb);
  for (let i = 0; i < EVENTS; i++) {
    await db.batch(
      eventStatements(
        db,
        { orgId: org, type: "domain.deleted", data: { domain: `d${i}.example.com` } },
        {
          onlyIfChanged: false,
        },
      ),
    );
  }
  const emitStatements = counter.statements;

  counter.statements = 0;
  const started = performance.now();
  const workerEnv = h.workerEnv as AppEnv;
  while ((await dispatchWebhookDeliveries(servicesFor(workerEnv), { orgId: org })) > 0) {
    // Claims 100 deliveries per round into the capturing queue.
  }
  const dispatchStatements = counter.statements;
  counter.statements = 0;
  while (h.queue.pending.length > 0) {
    const round = h.queue.pending.splice(0, BATCH * CONCURRENT_BATCHES);
    const batches = [];
    for (let i = 0; i < round.length; i += BATCH) batches.push(deliverBatch(workerEnv, round.slice(i, i + BATCH)));
    await Promise.all(batches);
  }
  const seconds = (performance.now() - started) / 1000;
  const consumeStatements = counter.statements;

  const deliveries = EVENTS * ENDPOINTS;
  for (const hook of hooks) expect(await received(hook.name)).toHaveLength(EVENTS);
  const per = (n: number) => (n / deliveries).toFixed(2);
  console.log(
    [
      `webhooks bench: ${deliveries} deliveries (${EVENTS} events x ${ENDPOINTS} endpoints on ${RECEIVER})`,
      `  ${(deliveries / seconds).toFixed(0)} deliveries/s (dispatch + consumer, ${seconds.toFixed(2)} s)`,
      `  D1 statements per delivery: ${per(emitStatements + dispatchStatements + consumeStatements)} ` +
        `(emit ${per(emitStatements)}, dispatch ${per(dispatchStatements)}, consumer ${per(consumeStatements)})`,
    ].join("\n"),
  );
});
