import { logEvent } from "@/lib/log";
import type { AppEnv } from "@/lib/types";

/**
 * The Cron Trigger's work (wrangler.toml [triggers], hourly), each job `import()`ed when it runs. Jobs are
 * independent: one failing is logged and the others still run.
 */
const JOBS: Record<string, (env: AppEnv, at: Date) => Promise<unknown>> = {
  /** Re-checks the custom domains that are due. */
  domainRecheck: async (env, at) => (await import("@/features/domains/recheck")).recheckDueDomains(env, at),
  /** Removes expired Microsoft 365 OAuth states and attempts. */
  oauthCleanup: async (env, at) => (await import("@/features/outlook/cleanup")).cleanupOAuthState(env, at),
  /** Every connected mailbox has its live sync schedule (idempotent; starts mailboxes connected before it). */
  liveSchedules: async (env) => (await import("@/features/mailboxes")).ensureAllLive(env),
  /** Webhook deliveries a crash left undispatched; old delivery log rows removed. */
  webhookSweep: async (env, at) => (await import("@/features/webhooks/maintenance")).sweepWebhookOutbox(env, at),
  /** Bodies still in D1 (imported before the message store) move to R2, MESSAGE_STORE_BACKFILL_BATCH per run. */
  bodyBackfill: async (env) => (await import("@/db/message-store")).backfillLegacyBodies(env),
  /** Signatures an earlier sanitizer stored are sanitized again, a bounded batch per run. */
  signatureRefresh: async (env) => (await import("@/features/settings/signature-refresh")).refreshStoredSignatures(env),
};

export function runScheduledJobs(env: AppEnv, at: Date, ctx: ExecutionContext) {
  for (const [name, job] of Object.entries(JOBS)) {
    ctx.waitUntil(
      job(env, at).catch((err: unknown) => {
        logEvent("error", "cron_job_failed", { job: name, error: err instanceof Error ? err.message : String(err) });
      }),
    );
  }
}
