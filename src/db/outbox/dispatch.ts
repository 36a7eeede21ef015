/**
 * Hands pending deliveries to the `webhook-deliveries` queue, one message per (event, endpoint) attempt.
 * A delivery is claimed for the queue with one conditional UPDATE (`enqueued_at`), so two dispatchers
 * never enqueue the same row twice; a message that is lost anyway (a crash between claim and send, a
 * queue outage) is re-sent by the sweep once it is a minute overdue, and the consumer's attempt claim
 * makes any duplicate message a no-op.
 */
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import { claimDueDeliveries, releaseDispatched, type WebhookDeliveryMessage } from "./webhook-deliveries.store";

// The message type lives with the statements that claim its attempts; the queue's users import it from here.
export type { WebhookDeliveryMessage };

/** Rows claimed per dispatch run (one queue sendBatch takes at most 100 messages). */
const DISPATCH_LIMIT = 100;
/** The sweep re-sends an attempt that should have started this long ago. */
export const SWEEP_GRACE_MS = 60_000;

export interface DispatchOptions {
  /** Only this org's deliveries (the emitter's kick right after its commit). */
  orgId?: string;
  /** Also re-send attempts that were enqueued but are over a minute overdue (the sweep). */
  sweep?: boolean;
  now?: Date;
}

/** Claims up to 100 due deliveries and sends their messages; answers how many were sent. */
export async function dispatchWebhookDeliveries(
  services: Pick<Services, "db" | "queues">,
  options: DispatchOptions = {},
): Promise<number> {
  const queue = services.queues.webhookDeliveries as Queue<WebhookDeliveryMessage> | undefined;
  if (!queue) return 0;
  const now = options.now ?? new Date();
  const iso = now.toISOString();
  const overdue = new Date(+now - SWEEP_GRACE_MS).toISOString();
  const db = services.db;
  const rows = await claimDueDeliveries(db, {
    iso,
    due: options.sweep ? overdue : iso,
    ...(options.sweep && { overdue }),
    orgId: options.orgId,
    limit: DISPATCH_LIMIT,
  });
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
    await releaseDispatched(db, ids, iso).catch(() => undefined);
    return 0;
  }
  return rows.length;
}

/**
 * The emitter's kick after its commit: failures are logged, never thrown, since the change itself
 * succeeded and the sweep delivers what this misses.
 */
export async function kickWebhookDeliveries(services: Pick<Services, "db" | "queues">, orgId?: string): Promise<void> {
  try {
    await dispatchWebhookDeliveries(services, { orgId });
  } catch (err) {
    logEvent("warn", "webhook_dispatch_failed", { orgId, error: (err as Error).message });
  }
}
