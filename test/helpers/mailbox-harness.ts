import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { getDb } from "@/db/client";
import worker from "@/index";
import type { AppEnv } from "@/lib/types";
import type { SyncTask } from "@/services/mailboxes/sync/pipeline";
import { saveConnectedTokens } from "@/services/outlook/store";

/**
 * Shared by test/mailboxes.test.ts and bench/mailbox-import.bench.ts: the fake Graph's admin API, a
 * connected tenant, and a capturing queue whose messages are handed to the Worker's queue() handler by
 * hand (so redelivery, throttling and crashes are under the caller's control).
 */

export const testEnv = env as unknown as AppEnv & { TEST_GRAPH_BASE_URL: string; TEST_GRAPH_ADMIN_URL: string };
export const ADMIN = testEnv.TEST_GRAPH_ADMIN_URL;

export interface Pending {
  id: string;
  body: SyncTask;
  attempts: number;
  delaySeconds?: number;
}

/** Stands in for MAILBOX_SYNC_QUEUE: keeps what the Worker sends. */
export class CapturingQueue {
  pending: Pending[] = [];
  /** Every delay requested with a send (Graph throttling re-sends). */
  delays: number[] = [];
  async send(body: SyncTask, options?: { delaySeconds?: number }) {
    if (options?.delaySeconds) this.delays.push(options.delaySeconds);
    this.pending.push({ id: crypto.randomUUID(), body: structuredClone(body), attempts: 1, ...options });
  }
  async sendBatch(messages: { body: SyncTask; delaySeconds?: number }[]) {
    for (const m of messages) await this.send(m.body, { delaySeconds: m.delaySeconds });
  }
}

/** Delivers messages as one batch to the Worker's queue() handler; answers the queue's view (acks, retries). */
export async function deliverBatch(workerEnv: AppEnv, messages: Pending[]) {
  const batch = createMessageBatch<SyncTask>(
    "mailbox-sync",
    messages.map((m) => ({ id: m.id, timestamp: new Date(), attempts: m.attempts, body: m.body })),
  );
  const ctx = createExecutionContext();
  await (worker as ExportedHandler<AppEnv, SyncTask>).queue?.(batch, workerEnv, ctx);
  return getQueueResult(batch, ctx);
}

/** A connected tenant whose access token the fake Graph maps to the tenant. */
export async function connectTenant(org: string, tenant: string) {
  await saveConnectedTokens(getDb(env.DB), testEnv.TOKEN_ENCRYPTION_KEYS ?? "", {
    orgId: org,
    tenantId: tenant,
    epilotUserId: "user-1",
    identity: { objectId: "oid-1", email: "admin@contoso.test" },
    tokens: {
      accessToken: `fake-graph:${tenant}`,
      refreshToken: "unused-refresh-token",
      expiresAt: new Date(Date.now() + 60 * 60 * 1000),
      scopes: ["Mail.ReadWrite.Shared"],
    },
  });
}

export interface SeededMessage {
  id: string;
  folder: "inbox" | "sentitems";
  receivedDateTime: string;
}

/** Creates (or replaces) a mailbox in the fake Graph; answers its generated messages. */
export async function seedMailbox(spec: Record<string, unknown>): Promise<SeededMessage[]> {
  const response = await fetch(`${ADMIN}/__mailboxes`, { method: "POST", body: JSON.stringify(spec) });
  expect(response.status).toBe(201);
  return ((await response.json()) as { messages: SeededMessage[] }).messages;
}

export interface GraphStats {
  stats: {
    requests: Record<string, number>;
    throttled: number;
    withoutImmutableId: number;
    maxInFlight: number;
  };
  subscriptions: { id: string; resource: string }[];
}

export async function graphStats(email: string): Promise<GraphStats> {
  return (await (await fetch(`${ADMIN}/__mailboxes/${encodeURIComponent(email)}`)).json()) as GraphStats;
}
