import { recheckDueDomains } from "@/services/domains/recheck";
import { ensureAllLive } from "@/services/mailboxes";
import { handleQueue } from "@/services/mailboxes/sync/queue-consumer";
import type { SyncTask } from "@/services/mailboxes/sync/tasks";
import { cleanupOAuthState } from "@/services/outlook/cleanup";
import { handleWebhookQueue } from "@/services/webhooks/deliver";
import { sweepWebhookOutbox } from "@/services/webhooks/maintenance";
import app from "./app";
import type { AppEnv } from "./lib/types";

export { MailboxSyncLock } from "@/services/mailboxes/sync/sync-lock";

export default {
  fetch: app.fetch,
  /** Cron Trigger (wrangler.toml [triggers]): re-checks the custom domains that are due, cleans up OAuth state. */
  scheduled(controller, env, ctx) {
    ctx.waitUntil(recheckDueDomains(env, new Date(controller.scheduledTime)));
    // Removes expired Microsoft 365 OAuth states and attempts.
    ctx.waitUntil(cleanupOAuthState(env, new Date(controller.scheduledTime)));
    // Every connected mailbox has its live sync schedule (idempotent; starts mailboxes connected before it).
    ctx.waitUntil(ensureAllLive(env));
    // Webhook deliveries a crash left undispatched; old delivery log rows removed.
    ctx.waitUntil(sweepWebhookOutbox(env, new Date(controller.scheduledTime)));
  },
  /** The mailbox import pipeline (wrangler.toml [[queues.consumers]]): see src/services/mailboxes/sync/queue-consumer.ts. */
  async queue(batch, env) {
    // Outbound webhooks (wrangler.toml `webhook-deliveries` and its DLQ): see src/services/webhooks/deliver.ts.
    if (batch.queue.startsWith("webhook-deliveries")) return handleWebhookQueue(batch as MessageBatch<never>, env);
    await handleQueue(batch, env);
  },
} satisfies ExportedHandler<AppEnv, SyncTask>;
