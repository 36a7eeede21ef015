// Bindings that vitest.config.ts adds for the domain tests (test/servers/dns-servers.ts).
declare global {
  namespace Cloudflare {
    interface Env {
      /** Admin server of the local DNS: PUT/DELETE /zones/<zone>, broken resolvers under /doh/. */
      TEST_DNS_ADMIN_URL: string;
      /** A loopback URL where nothing listens. */
      TEST_DNS_CLOSED_URL: string;
      /** Why the DNS servers could not start; empty when they run. */
      TEST_DNS_UNAVAILABLE: string;
      /** Only under `npm run bench`: the delay dnsdist adds to every answer. */
      TEST_DNS_DELAY_MS?: string;
    }
  }
}

export {};
