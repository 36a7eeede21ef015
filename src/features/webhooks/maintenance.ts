/** The hourly cron's webhook work: re-dispatch what a crash left behind, and drop old delivery history. */

import { dispatchWebhookDeliveries } from "@/db/outbox/dispatch";
import { deleteFinishedDeliveries } from "@/db/outbox/webhook-deliveries.store";
import { deleteUndeliveredEvents } from "@/db/outbox/webhook-events.store";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";

/** Finished deliveries and their events are kept this long for the delivery log and redelivery. */
export const WEBHOOK_HISTORY_DAYS = 30;
/** Most dispatch rounds (100 deliveries each) one cron run does. */
const SWEEP_ROUNDS = 20;

export async function sweepWebhookOutbox(services: Pick<Services, "db" | "queues">, now: Date): Promise<void> {
  try {
    for (let round = 0; round < SWEEP_ROUNDS; round++) {
      if ((await dispatchWebhookDeliveries(services, { sweep: true })) < 100) break;
    }
    const cutoff = new Date(+now - WEBHOOK_HISTORY_DAYS * 86_400_000).toISOString();
    const db = services.db;
    // Deliveries first: an event goes once no delivery refers to it.
    await db.batch([deleteFinishedDeliveries(db, cutoff), deleteUndeliveredEvents(db, cutoff)]);
  } catch (err) {
    logEvent("error", "webhook_sweep_failed", { error: (err as Error).message });
  }
}
