// Bindings that vitest.config.ts adds for the mailbox tests (test/servers/fake-graph/index.ts).
declare global {
  namespace Cloudflare {
    interface Env {
      /** The fake Graph's v1.0 base URL (also the run's MS_GRAPH_BASE_URL). */
      TEST_GRAPH_BASE_URL: string;
      /** Admin API of the fake Graph: seed mailboxes, inject failures, read stats. */
      TEST_GRAPH_ADMIN_URL: string;
    }
  }
}

export {};
