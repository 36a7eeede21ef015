import app from "./app";
import type { AppEnv } from "./lib/types";
import { recheckDueDomains } from "./services/domain-recheck";
import { cleanupOAuthState } from "./services/microsoft/cleanup";
import type { SyncTask } from "./sync/pipeline";
import { handleQueue } from "./sync/queue-consumer";

export { MailboxSyncLock } from "./sync/mailbox-lock";

export default {
  fetch: app.fetch,
  /** Cron Trigger (wrangler.toml [triggers]): re-checks the custom domains that are due, cleans up OAuth state. */
  scheduled(controller, env, ctx) {
    ctx.waitUntil(recheckDueDomains(env, new Date(controller.scheduledTime)));
    // Removes expired Microsoft 365 OAuth states and attempts.
    ctx.waitUntil(cleanupOAuthState(env, new Date(controller.scheduledTime)));
  },
  /** The mailbox import pipeline (wrangler.toml [[queues.consumers]]): see src/sync/queue-consumer.ts. */
  async queue(batch, env) {
    await handleQueue(batch, env);
  },
} satisfies ExportedHandler<AppEnv, SyncTask>;
