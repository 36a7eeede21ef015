import type { SyncTask } from "@/services/mailboxes/sync/tasks";
import type { AppEnv, AppOpenAPI } from "./lib/types";

// The one static import: a Durable Object class must be exported at startup.
export { MailboxSyncLock } from "@/services/mailboxes/sync/sync-lock";

/*
 * Startup (module load, the CPU `wrangler check startup` profiles) does as little as it can: the app and
 * what the cron and queue handlers run are imported when the first request, trigger or batch comes. In the
 * bundle esbuild turns each `import()` into a lazy module initializer: src/app.ts and every module only it
 * imports (the area routers, their zod schemas and OpenAPI metadata, the services) run on first use, once.
 */

let app: Promise<AppOpenAPI> | undefined;
/** The app, built on the first request; every later request reuses it. */
function loadApp(): Promise<AppOpenAPI> {
  app ??= import("./app").then((module) => module.default);
  return app;
}

export default {
  async fetch(request: Request, env: AppEnv, ctx: ExecutionContext) {
    return (await loadApp()).fetch(request, env, ctx);
  },
  /** Cron Trigger (wrangler.toml [triggers]): re-checks the custom domains that are due, cleans up OAuth state. */
  async scheduled(controller, env, ctx) {
    const { recheckDueDomains } = await import("@/services/domains/recheck");
    ctx.waitUntil(recheckDueDomains(env, new Date(controller.scheduledTime)));
    // Removes expired Microsoft 365 OAuth states and attempts.
    const { cleanupOAuthState } = await import("@/services/outlook/cleanup");
    ctx.waitUntil(cleanupOAuthState(env, new Date(controller.scheduledTime)));
    // Every connected mailbox has its live sync schedule (idempotent; starts mailboxes connected before it).
    const { ensureAllLive } = await import("@/services/mailboxes");
    ctx.waitUntil(ensureAllLive(env));
    // Webhook deliveries a crash left undispatched; old delivery log rows removed.
    const { sweepWebhookOutbox } = await import("@/services/webhooks/maintenance");
    ctx.waitUntil(sweepWebhookOutbox(env, new Date(controller.scheduledTime)));
    // Bodies still in D1 (imported before the message store) move to R2, MESSAGE_STORE_BACKFILL_BATCH per run.
    const { backfillLegacyBodies } = await import("@/services/message-store/backfill");
    ctx.waitUntil(backfillLegacyBodies(env));
    // Signatures an earlier sanitizer stored are sanitized again, a bounded batch per run.
    const { refreshStoredSignatures } = await import("@/services/settings/signature-refresh");
    ctx.waitUntil(refreshStoredSignatures(env));
  },
  /** The mailbox import pipeline (wrangler.toml [[queues.consumers]]): see src/services/mailboxes/sync/queue-consumer.ts. */
  async queue(batch, env) {
    // Outbound webhooks (wrangler.toml `webhook-deliveries` and its DLQ): see src/services/webhooks/deliver.ts.
    if (batch.queue.startsWith("webhook-deliveries")) {
      const { handleWebhookQueue } = await import("@/services/webhooks/deliver");
      return handleWebhookQueue(batch as MessageBatch<never>, env);
    }
    const { handleQueue } = await import("@/services/mailboxes/sync/queue-consumer");
    await handleQueue(batch, env);
  },
} satisfies ExportedHandler<AppEnv, SyncTask>;
