import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import type { AppEnv } from "@/lib/types";
import { servicesFor } from "./services";

/**
 * The Cron Trigger's work (wrangler.toml [triggers], hourly), each job `import()`ed when it runs. Jobs are
 * independent: one failing is logged and the others still run.
 */
const JOBS: Record<string, (services: Services, at: Date) => Promise<unknown>> = {
  /** Re-checks the custom domains that are due. */
  domainRecheck: async (services, at) => (await import("@/features/domains/recheck")).recheckDueDomains(services, at),
  /** Removes expired Microsoft 365 OAuth states and attempts. */
  oauthCleanup: async (services, at) => (await import("@/features/outlook/cleanup")).cleanupOAuthState(services, at),
  /** Every connected mailbox has its live sync schedule (idempotent; starts mailboxes connected before it). */
  liveSchedules: async (services) => (await import("@/features/mailboxes")).ensureAllLive(services),
  /** Webhook deliveries a crash left undispatched; old delivery log rows removed. */
  webhookSweep: async (services, at) =>
    (await import("@/features/webhooks/maintenance")).sweepWebhookOutbox(services, at),
  /** Bodies still in D1 (imported before the message store) move to R2, MESSAGE_STORE_BACKFILL_BATCH per run. */
  bodyBackfill: async (services) => (await import("@/db/message-store")).backfillLegacyBodies(services),
  /** Mailboxes with mail still in D1 start (or resume) its move into their Durable Objects. */
  mailMove: async (services) => (await import("@/features/mailboxes")).queueMailboxMoves(services),
  /** Signatures an earlier sanitizer stored are sanitized again, a bounded batch per run. */
  signatureRefresh: async (services) =>
    (await import("@/features/settings/signature-refresh")).refreshStoredSignatures(services),
};

export function runScheduledJobs(env: AppEnv, at: Date, ctx: ExecutionContext) {
  const services = servicesFor(env);
  for (const [name, job] of Object.entries(JOBS)) {
    ctx.waitUntil(
      job(services, at).catch((err: unknown) => {
        logEvent("error", "cron_job_failed", { job: name, error: err instanceof Error ? err.message : String(err) });
      }),
    );
  }
}
