/** The hourly cron's webhook work: re-dispatch what a crash left behind, and drop old delivery history. */
import { and, inArray, lt, sql } from "drizzle-orm";
import { getDb } from "@/db/client";
import { webhookDeliveries, webhookEvents } from "@/db/schema";
import { logEvent } from "@/lib/log";
import type { AppEnv } from "@/lib/types";
import { dispatchWebhookDeliveries } from "./dispatch";

/** Finished deliveries and their events are kept this long for the delivery log and redelivery. */
export const WEBHOOK_HISTORY_DAYS = 30;
/** Most dispatch rounds (100 deliveries each) one cron run does. */
const SWEEP_ROUNDS = 20;

export async function sweepWebhookOutbox(env: AppEnv, now: Date): Promise<void> {
  try {
    for (let round = 0; round < SWEEP_ROUNDS; round++) {
      if ((await dispatchWebhookDeliveries(env, { sweep: true })) < 100) break;
    }
    const cutoff = new Date(+now - WEBHOOK_HISTORY_DAYS * 86_400_000).toISOString();
    const db = getDb(env.DB);
    await db.batch([
      db
        .delete(webhookDeliveries)
        .where(
          and(
            lt(webhookDeliveries.createdAt, cutoff),
            inArray(webhookDeliveries.status, ["delivered", "failed", "cancelled"]),
          ),
        ),
      db
        .delete(webhookEvents)
        .where(
          and(
            lt(webhookEvents.createdAt, cutoff),
            sql`NOT EXISTS (SELECT 1 FROM ${webhookDeliveries} WHERE ${webhookDeliveries.eventId} = ${webhookEvents.id})`,
          ),
        ),
    ]);
  } catch (err) {
    logEvent("error", "webhook_sweep_failed", { error: (err as Error).message });
  }
}
