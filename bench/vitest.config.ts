import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { wranglerBundleAliases } from "../test/servers/bundle-aliases";
import { dnsTestBindings } from "../test/servers/dns-servers";
import { graphTestBindings } from "../test/servers/fake-graph";
import { startJwksServer } from "../test/servers/jwks-server";
import { microsoftTestBindings } from "../test/servers/oauth-server";
import { webhookReceiverBindings } from "../test/servers/webhook-receiver";

/** Delay dnsdist adds to every DoH answer while the benchmark runs. */
export const BENCH_DNS_DELAY_MS = 200;

// `npm run bench`: the test setup of vitest.config.ts, but with a resolver that answers slowly, running
// only bench/*.bench.ts (which measure time and so are kept out of `npm test`). The mailbox import bench
// uses the Microsoft stand-ins of the tests (OAuth mock for the connection config, fake Graph).
export default defineConfig(async () => {
  const root = path.join(__dirname, "..");
  const migrations = await readD1Migrations(path.join(root, "migrations"));
  const jwks = await startJwksServer();
  const dns = await dnsTestBindings({ delayMs: BENCH_DNS_DELAY_MS });
  const microsoft = await microsoftTestBindings();
  const graph = await graphTestBindings();
  return {
    root,
    // The bundle's module substitutes too (wrangler.toml [alias]), so what is tested is what deploys.
    resolve: { alias: [{ find: "@", replacement: path.join(root, "src") }, ...wranglerBundleAliases(root)] },
    plugins: [
      cloudflareTest({
        wrangler: { configPath: path.join(root, "wrangler.toml") },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            JWT_JWKS_URL: `${jwks.url}/jwks.json`,
            JWT_ISSUER: jwks.issuer,
            JWT_AUDIENCE: jwks.audience,
            TEST_JWKS_ADMIN_URL: jwks.url,
            TEST_SIGNING_KEYS: JSON.stringify(jwks.keys),
            TEST_DNS_DELAY_MS: String(BENCH_DNS_DELAY_MS),
            ...dns,
            ...microsoft,
            ...graph,
            ...(await webhookReceiverBindings()),
          },
        },
      }),
    ],
    test: {
      setupFiles: [path.join(root, "test/setup/apply-migrations.ts")],
      include: ["bench/**/*.bench.ts"],
      testTimeout: 120_000,
    },
  };
});
