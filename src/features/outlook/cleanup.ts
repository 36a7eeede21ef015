import { lt } from "drizzle-orm";
import { getDb } from "@/db/client";
import { outlookOAuthAttempts, outlookOAuthStates } from "@/db/schema";
import { logEvent } from "@/lib/log";
import type { AppEnv } from "@/lib/types";

/**
 * Scheduled cleanup (Cron Trigger): removes OAuth states past their 10-minute life (used or not),
 * pending attempts whose state expired, and finished attempts past their retention.
 */
export async function cleanupOAuthState(env: AppEnv, now: Date = new Date()) {
  const db = getDb(env.DB);
  const cutoff = now.toISOString();
  const [states, attempts] = await db.batch([
    db
      .delete(outlookOAuthStates)
      .where(lt(outlookOAuthStates.expiresAt, cutoff))
      .returning({ id: outlookOAuthStates.stateHash }),
    db
      .delete(outlookOAuthAttempts)
      .where(lt(outlookOAuthAttempts.expiresAt, cutoff))
      .returning({ id: outlookOAuthAttempts.id }),
  ]);
  const removed = { states: states.length, attempts: attempts.length };
  if (removed.states > 0 || removed.attempts > 0) {
    logEvent("info", "outlook_oauth_cleanup", removed);
  }
  return removed;
}
