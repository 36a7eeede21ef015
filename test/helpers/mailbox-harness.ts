import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { z } from "zod";
import { getDb } from "@/db/client";
import { ConnectOutlookMailboxResponseSchema, MailboxSyncStatusSchema } from "@/features/mailboxes/mailboxes.schemas";
import type { SyncTask } from "@/features/mailboxes/sync/tasks";
import { saveConnectedTokens } from "@/features/outlook/outlook-connections.store";
import { ImportedMessagesResponseSchema } from "@/features/shared-inbox-messages/shared-inbox-messages.schemas";
import worker from "@/index";
import type { AppEnv } from "@/lib/types";
import type { FakeMailboxSettings, FakeMailboxSpec } from "../servers/fake-graph/admin";
import { type CallOptions, call, expectBody } from "./api";

/**
 * Shared by test/mailboxes-*.test.ts and the mailbox benches: the fake Graph's admin API, a connected
 * tenant, a capturing queue whose messages are handed to the Worker's queue() handler by hand (so
 * redelivery, throttling and crashes are under the caller's control), and the API calls the tests repeat.
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
export async function seedMailbox(spec: FakeMailboxSpec): Promise<SeededMessage[]> {
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

// ---------------------------------------------------------------------------------------------------
// Harness: the Worker with the fake Graph and a capturing queue, whose messages the tests deliver to
// the Worker's queue() handler themselves (so redelivery, throttling and crashes are under control).

export function harness(extra: Partial<AppEnv> = {}) {
  const queue = new CapturingQueue();
  const overrides: Partial<AppEnv> = {
    MS_GRAPH_BASE_URL: testEnv.TEST_GRAPH_BASE_URL,
    MAILBOX_SYNC_QUEUE: queue as unknown as Queue,
    ...extra,
  };
  const workerEnv = { ...(env as unknown as AppEnv), ...overrides };
  const api = <T = unknown>(method: string, path: string, options: CallOptions = {}) =>
    call<T>(method, path, { ...options, env: overrides });
  /** Delivers messages as one batch; answers the queue's view (acks, retries). */
  const deliver = (messages: Pending[]) => deliverBatch(workerEnv, messages);
  /** Delivers until the queue is empty; `redeliver` hands every batch over twice (at-least-once delivery). */
  async function drain(options: { redeliver?: boolean } = {}) {
    let retried = 0;
    for (let round = 0; queue.pending.length > 0; round++) {
      if (round > 500) throw new Error("queue does not drain");
      const batch = queue.pending.splice(0, 10);
      const result = await deliver(batch);
      if (options.redeliver) await deliver(batch.map((m) => ({ ...m, attempts: m.attempts + 1 })));
      for (const r of result.retryMessages) {
        const m = batch.find((x) => x.id === r.msgId);
        if (m) queue.pending.push({ ...m, attempts: m.attempts + 1 });
        retried++;
      }
    }
    return { retried };
  }
  return { queue, api, deliver, drain, workerEnv };
}

let counter = 0;
export const uniqueMailbox = (name = "shared") =>
  `${name}-${crypto.randomUUID().slice(0, 8)}-${++counter}@contoso.test`;
export const uniqueTenant = () => crypto.randomUUID();

export async function patchMailbox(email: string, settings: FakeMailboxSettings) {
  const response = await fetch(`${ADMIN}/__mailboxes/${encodeURIComponent(email)}`, {
    method: "PATCH",
    body: JSON.stringify(settings),
  });
  expect(response.status).toBe(200);
}

export type Api = ReturnType<typeof harness>["api"];

export async function connect(api: Api, org: string, email: string, extra: Record<string, unknown> = {}) {
  return expectBody(
    await api("POST", "/v2/outlook/mailbox/connect", { org, body: { email, ...extra } }),
    201,
    ConnectOutlookMailboxResponseSchema,
  );
}

export async function status(api: Api, org: string, email: string) {
  return expectBody(
    await api("GET", `/v2/outlook/mailbox/${encodeURIComponent(email)}/sync/status`, { org }),
    200,
    MailboxSyncStatusSchema,
  );
}

export async function startSync(api: Api, org: string, email: string, timeframe = "1m") {
  return api("POST", `/v2/outlook/mailbox/${encodeURIComponent(email)}/sync`, { org, body: { timeframe } });
}

export type ImportedMessage = z.infer<typeof ImportedMessagesResponseSchema>["messages"][number];

/** Every message of an inbox, page by page (`limit` per page). */
export async function allMessages(api: Api, org: string, inbox = "default", limit = 100) {
  const messages: ImportedMessage[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const query: string = `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const body = expectBody(
      await api("GET", `/v2/email-settings/shared-inboxes/${inbox}/messages?${query}`, { org }),
      200,
      ImportedMessagesResponseSchema,
    );
    messages.push(...body.messages);
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  return messages;
}

export const inWindow = (messages: SeededMessage[], folder: string) =>
  messages.filter((m) => m.folder === folder && Date.parse(m.receivedDateTime) > Date.now() - 30 * 86_400_000);

// ---------------------------------------------------------------------------------------------------
// Live sync: changes at the fake Graph, tenants' application consent, delta and subscription controls.
// (Admin API in test/servers/fake-graph/index.ts; Graph's requests to the Worker go through
// test/helpers/graph-relay.ts.)

/** A delegated access token the fake Graph maps to `tenant` (what connectTenant stores). */
export const delegatedToken = (tenant: string) => `fake-graph:${tenant}`;
/** An app-only (client credentials) access token the fake Graph maps to `tenant`. */
export const appOnlyToken = (tenant: string) => `fake-graph-app:${tenant}`;

async function graphAdmin<T = unknown>(method: string, path: string, body?: unknown, expected = 200): Promise<T> {
  const response = await fetch(`${ADMIN}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.status, `${method} ${path}`).toBe(expected);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

const mailboxPath = (email: string) => `/__mailboxes/${encodeURIComponent(email)}`;

/** Settings of a tenant at the fake Graph (e.g. `min_expiration_minutes` of its subscriptions). */
export const setGraphTenant = (tenant: string, settings: Record<string, unknown>) =>
  graphAdmin("POST", `/__tenants/${encodeURIComponent(tenant)}`, settings);

/** Grants (or revokes) the tenant's application consent at the fake Graph (app-only notifications). */
export const setAppOnlyConsent = (tenant: string, consent = true, extra: { min_expiration_minutes?: number } = {}) =>
  graphAdmin("POST", `/__tenants/${encodeURIComponent(tenant)}`, { app_only_consent: consent, ...extra });

export interface GraphMessage {
  id: string;
  folder: "inbox" | "sentitems";
  subject: string;
  receivedDateTime: string;
  [key: string]: unknown;
}

/** New mail at Graph (a `created` change: delta and notifications). */
export const addGraphMessage = (
  email: string,
  spec: { folder?: "inbox" | "sentitems"; subject?: string; body_html?: string; received?: string } = {},
) => graphAdmin<GraphMessage>("POST", `${mailboxPath(email)}/messages`, { folder: "inbox", ...spec }, 201);

export const updateGraphMessage = (
  email: string,
  id: string,
  spec: { subject?: string; body_html?: string; is_read?: boolean },
) => graphAdmin<GraphMessage>("PATCH", `${mailboxPath(email)}/messages/${encodeURIComponent(id)}`, spec);

export const deleteGraphMessage = (email: string, id: string) =>
  graphAdmin("DELETE", `${mailboxPath(email)}/messages/${encodeURIComponent(id)}`, undefined, 204);

export const moveGraphMessage = (email: string, id: string, folder: "inbox" | "sentitems") =>
  graphAdmin<GraphMessage>("POST", `${mailboxPath(email)}/messages/${encodeURIComponent(id)}/move`, { folder });

/** Delta trouble: expire every token so far (410), with `fail`'s code; replay N changes out of order. */
export const controlDelta = (
  email: string,
  spec: { expire_tokens?: true; replay?: number; fail?: "syncStateNotFound" | "resyncRequired" },
) => graphAdmin("POST", `${mailboxPath(email)}/delta`, spec);

/** Sends a lifecycle event for a subscription (to its lifecycleNotificationUrl, through the relay). */
export const sendLifecycleEvent = (
  subscriptionId: string,
  event: "reauthorizationRequired" | "subscriptionRemoved" | "missed",
  extra: { pause?: true } = {},
) => graphAdmin("POST", `/__subscriptions/${encodeURIComponent(subscriptionId)}/lifecycle`, { event, ...extra }, 202);

/** Graph drops the subscription and sends subscriptionRemoved. */
export const removeGraphSubscription = (subscriptionId: string) =>
  graphAdmin("POST", `/__subscriptions/${encodeURIComponent(subscriptionId)}/remove`, {}, 202);

/** Sends `copies` change notifications for one message (Graph may deliver duplicates). */
export const repeatNotification = (
  subscriptionId: string,
  messageId: string,
  copies: number,
  changeType: "created" | "updated" | "deleted" = "created",
) =>
  graphAdmin<{ outbox_ids: string[] }>(
    "POST",
    `/__subscriptions/${encodeURIComponent(subscriptionId)}/notify`,
    { message_id: messageId, copies, change_type: changeType },
    202,
  );

/** Moves the fake Graph's clock (subscription expiry) `offsetMs` ahead of real time. */
export const setGraphClock = (offsetMs: number) => graphAdmin("POST", "/__clock", { offset_ms: offsetMs });

export interface GraphSubscriptionView {
  id: string;
  resource: string;
  folder: "inbox" | "sentitems" | null;
  changeType: string;
  notificationUrl: string | null;
  lifecycleNotificationUrl: string | null;
  clientState: string | null;
  expirationDateTime: string;
  app_only: boolean;
  renewals: number;
  reauthorizations: number;
  paused: boolean;
}

export interface GraphNotificationRecord {
  outbox_id: string;
  subscription_id: string;
  kind: "change" | "lifecycle";
  change_type?: string;
  lifecycle_event?: string;
  message_id?: string;
  status: number | null;
  error?: string;
  late?: boolean;
}

/** The fake's full view of a mailbox: stats, live subscriptions, notifications sent and their statuses. */
export const graphMailbox = (email: string) =>
  graphAdmin<
    GraphStats & {
      user_id: string;
      subscriptions: GraphSubscriptionView[];
      notifications: GraphNotificationRecord[];
      messages: { id: string; folder: string; subject: string }[];
    }
  >("GET", mailboxPath(email));
