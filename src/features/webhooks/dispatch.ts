/**
 * Hands pending deliveries to the `webhook-deliveries` queue, one message per (event, endpoint) attempt.
 * A delivery is claimed for the queue with one conditional UPDATE (`enqueued_at`), so two dispatchers
 * never enqueue the same row twice; a message that is lost anyway (a crash between claim and send, a
 * queue outage) is re-sent by the sweep once it is a minute overdue, and the consumer's attempt claim
 * makes any duplicate message a no-op.
 */
import { sql } from "drizzle-orm";
import { getDb } from "@/db/client";
import { logEvent } from "@/lib/log";
import type { AppEnv } from "@/lib/types";

/** A queue message: which delivery, and which attempt (1-based) it is for. */
export interface WebhookDeliveryMessage {
  deliveryId: string;
  orgId: string;
  endpointId: string;
  attempt: number;
}

/** Rows claimed per dispatch run (one queue sendBatch takes at most 100 messages). */
const DISPATCH_LIMIT = 100;
/** The sweep re-sends an attempt that should have started this long ago. */
export const SWEEP_GRACE_MS = 60_000;

interface ClaimedRow {
  id: string;
  org_id: string;
  endpoint_id: string;
  attempts: number;
}

export interface DispatchOptions {
  /** Only this org's deliveries (the emitter's kick right after its commit). */
  orgId?: string;
  /** Also re-send attempts that were enqueued but are over a minute overdue (the sweep). */
  sweep?: boolean;
  now?: Date;
}

/** Claims up to 100 due deliveries and sends their messages; answers how many were sent. */
export async function dispatchWebhookDeliveries(env: AppEnv, options: DispatchOptions = {}): Promise<number> {
  const queue = env.WEBHOOK_DELIVERY_QUEUE as Queue<WebhookDeliveryMessage> | undefined;
  if (!queue) return 0;
  const now = options.now ?? new Date();
  const iso = now.toISOString();
  const overdue = new Date(+now - SWEEP_GRACE_MS).toISOString();
  const due = options.sweep ? overdue : iso;
  const notQueued = options.sweep ? sql`(enqueued_at IS NULL OR enqueued_at <= ${overdue})` : sql`enqueued_at IS NULL`;
  const org = options.orgId ? sql`AND org_id = ${options.orgId}` : sql``;
  const db = getDb(env.DB);
  const { results } = await db.run(sql`UPDATE webhook_deliveries SET enqueued_at = ${iso}
    WHERE id IN (SELECT id FROM webhook_deliveries
      WHERE status = 'pending' AND next_attempt_at <= ${due} AND ${notQueued} ${org}
        AND (locked_until IS NULL OR locked_until < ${iso})
      ORDER BY next_attempt_at LIMIT ${DISPATCH_LIMIT})
    RETURNING id, org_id, endpoint_id, attempts`);
  const rows = results as unknown as ClaimedRow[];
  if (rows.length === 0) return 0;
  try {
    await queue.sendBatch(
      rows.map((row) => ({
        body: { deliveryId: row.id, orgId: row.org_id, endpointId: row.endpoint_id, attempt: row.attempts + 1 },
      })),
    );
  } catch (err) {
    // Not sent: give the rows back to the next dispatcher.
    logEvent("warn", "webhook_dispatch_failed", { count: rows.length, error: (err as Error).message });
    const ids = rows.map((row) => row.id);
    await db
      .run(
        sql`UPDATE webhook_deliveries SET enqueued_at = NULL WHERE enqueued_at = ${iso} AND id IN (${sql.join(
          ids.map((id) => sql`${id}`),
          sql`, `,
        )})`,
      )
      .catch(() => undefined);
    return 0;
  }
  return rows.length;
}

/**
 * The emitter's kick after its commit: failures are logged, never thrown, since the change itself
 * succeeded and the sweep delivers what this misses.
 */
export async function kickWebhookDeliveries(env: AppEnv, orgId?: string): Promise<void> {
  try {
    await dispatchWebhookDeliveries(env, { orgId });
  } catch (err) {
    logEvent("warn", "webhook_dispatch_failed", { orgId, error: (err as Error).message });
  }
}
