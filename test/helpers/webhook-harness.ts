import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { WebhookDeliveryMessage } from "@/db/outbox/dispatch";
import {
  WebhookDeliveryListSchema,
  WebhookSchema,
  WebhookWithSecretSchema,
} from "@/features/webhooks/webhooks.schemas";
import worker from "@/index";
import type { AppEnv } from "@/lib/types";
import { type CallOptions, call, expectBody } from "./api";
import type { RecordedRequest } from "./webhook-verify";

/**
 * Shared by test/webhooks-*.test.ts and bench/webhooks.bench.ts: a capturing stand-in for the
 * `webhook-deliveries` queue whose messages are handed to the Worker's queue() handler by hand, the
 * loopback receiver's admin API (test/servers/webhook-receiver.ts) and the API calls the tests repeat.
 */

export const testEnv = env as unknown as AppEnv & { TEST_WEBHOOK_RECEIVER_URL: string };
export const RECEIVER = testEnv.TEST_WEBHOOK_RECEIVER_URL;
export const WEBHOOKS = "/v2/email-settings/webhooks";

export interface QueuedMessage {
  body: WebhookDeliveryMessage;
  delaySeconds?: number;
}

/** Stands in for WEBHOOK_DELIVERY_QUEUE: keeps what the Worker sends. */
export class DeliveryQueue {
  pending: QueuedMessage[] = [];
  /** Every delay requested with a send (retries, Retry-After). */
  delays: number[] = [];
  sent = 0;
  async send(body: WebhookDeliveryMessage, options?: { delaySeconds?: number }) {
    this.sent++;
    if (options?.delaySeconds !== undefined) this.delays.push(options.delaySeconds);
    this.pending.push({ body: structuredClone(body), delaySeconds: options?.delaySeconds });
  }
  async sendBatch(messages: { body: WebhookDeliveryMessage; delaySeconds?: number }[]) {
    for (const m of messages) await this.send(m.body, m.delaySeconds === undefined ? undefined : m);
  }
}

/** Hands `messages` to the Worker's queue() as one `webhook-deliveries` batch; answers acks and retries. */
export async function deliverBatch(workerEnv: AppEnv, messages: QueuedMessage[], queue = "webhook-deliveries") {
  const batch = createMessageBatch<WebhookDeliveryMessage>(
    queue,
    messages.map((m) => ({ id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body: m.body })),
  );
  const ctx = createExecutionContext();
  await (worker as unknown as ExportedHandler<AppEnv, WebhookDeliveryMessage>).queue?.(batch, workerEnv, ctx);
  return getQueueResult(batch, ctx);
}

/** Loopback endpoints (http) are allowed here, and retries wait 0-1 s, as in a developer's setup. */
export function webhookHarness(extra: Partial<AppEnv> = {}) {
  const queue = new DeliveryQueue();
  const overrides: Partial<AppEnv> = {
    WEBHOOK_DELIVERY_QUEUE: queue as unknown as Queue,
    WEBHOOK_ALLOW_INSECURE_URLS: "true",
    WEBHOOK_RETRY_DELAYS_SECONDS: "0,1,1,1,1",
    ...extra,
  };
  const workerEnv = { ...(env as unknown as AppEnv), ...overrides } as AppEnv;
  const api = <T = unknown>(method: string, path: string, options: CallOptions = {}) =>
    call<T>(method, path, { ...options, env: overrides });
  /** Runs queued messages (and the retries they queue) until none are left. */
  async function drain(maxRounds = 20) {
    for (let round = 0; round < maxRounds && queue.pending.length > 0; round++) {
      await deliverBatch(workerEnv, queue.pending.splice(0));
    }
    expect(queue.pending, "messages still queued after draining").toEqual([]);
  }
  /** Creates a webhook at the receiver's `/hooks/<name>`; answers it with its secret. */
  async function createWebhook(org: string, body: Record<string, unknown> = {}) {
    const name = `h-${crypto.randomUUID()}`;
    const created = expectBody(
      await api("POST", WEBHOOKS, { org, body: { url: `${RECEIVER}/hooks/${name}`, ...body } }),
      201,
      WebhookWithSecretSchema,
    );
    return { ...created, name };
  }
  async function deliveries(org: string, id: string, query = "") {
    return expectBody(
      await api("GET", `${WEBHOOKS}/${id}/deliveries${query}`, { org }),
      200,
      WebhookDeliveryListSchema,
    );
  }
  async function webhook(org: string, id: string) {
    return expectBody(await api("GET", `${WEBHOOKS}/${id}`, { org }), 200, WebhookSchema);
  }
  return { queue, overrides, workerEnv, api, drain, createWebhook, deliveries, webhook };
}

export type WebhookHarness = ReturnType<typeof webhookHarness>;

/** The answers the receiver gives `name`, in order (then 200), or one answer for every request. */
export async function script(name: string, answers: unknown[] | { repeat: unknown }) {
  const response = await fetch(`${RECEIVER}/admin/${name}/script`, { method: "PUT", body: JSON.stringify(answers) });
  expect(response.status).toBe(204);
}

/** Every request the receiver got at `/hooks/<name>`, oldest first. */
export async function received(name: string): Promise<RecordedRequest[]> {
  const response = await fetch(`${RECEIVER}/admin/${name}/requests`);
  return (await response.json()) as RecordedRequest[];
}

/** Rows of a query against the test database. */
export async function rows<T = Record<string, unknown>>(query: string, ...params: unknown[]): Promise<T[]> {
  return (
    await env.DB.prepare(query)
      .bind(...params)
      .all<T>()
  ).results;
}
