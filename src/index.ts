import app from "./app";
import type { AppEnv } from "./lib/types";
import { recheckDueDomains } from "./services/domain-recheck";

export default {
  fetch: app.fetch,
  /** Cron Trigger (wrangler.toml [triggers]): re-checks the custom domains that are due. */
  scheduled(controller, env, ctx) {
    ctx.waitUntil(recheckDueDomains(env, new Date(controller.scheduledTime)));
  },
} satisfies ExportedHandler<AppEnv>;
