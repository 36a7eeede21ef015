import { recheckDueDomains } from "@/services/domains/recheck";
import { handleQueue } from "@/services/mailboxes/sync/queue-consumer";
import type { SyncTask } from "@/services/mailboxes/sync/tasks";
import { cleanupOAuthState } from "@/services/outlook/cleanup";
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
  },
  /** The mailbox import pipeline (wrangler.toml [[queues.consumers]]): see src/services/mailboxes/sync/queue-consumer.ts. */
  async queue(batch, env) {
    await handleQueue(batch, env);
  },
} satisfies ExportedHandler<AppEnv, SyncTask>;
