import type { AppEnv, AppOpenAPI } from "./lib/types";

// The one static import: a Durable Object class must be exported at startup.
export { MailboxSyncLock } from "@/features/mailboxes/sync/sync-lock";

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
  /** Cron Trigger (wrangler.toml [triggers]): see src/entry/cron.ts. */
  async scheduled(controller, env, ctx) {
    const { runScheduledJobs } = await import("./entry/cron");
    runScheduledJobs(env, new Date(controller.scheduledTime), ctx);
  },
  /** Every queue consumer (wrangler.toml [[queues.consumers]]): see src/entry/queues.ts. */
  async queue(batch, env) {
    const { consumeBatch } = await import("./entry/queues");
    await consumeBatch(batch, env);
  },
} satisfies ExportedHandler<AppEnv>;
