import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import { deleteExpiredAttempts } from "./outlook-oauth-attempts.store";
import { deleteExpiredStates } from "./outlook-oauth-states.store";

/**
 * Scheduled cleanup (Cron Trigger): removes OAuth states past their 10-minute life (used or not),
 * pending attempts whose state expired, and finished attempts past their retention.
 */
export async function cleanupOAuthState(services: Pick<Services, "db">, now: Date = new Date()) {
  const { db } = services;
  const cutoff = now.toISOString();
  const [states, attempts] = await db.batch([deleteExpiredStates(db, cutoff), deleteExpiredAttempts(db, cutoff)]);
  const removed = { states: states.length, attempts: attempts.length };
  if (removed.states > 0 || removed.attempts > 0) {
    logEvent("info", "outlook_oauth_cleanup", removed);
  }
  return removed;
}
