import { availableParallelism } from "node:os";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { wranglerBundleAliases } from "./test/servers/bundle-aliases";
import { dnsTestBindings } from "./test/servers/dns-servers";
import { graphTestBindings } from "./test/servers/fake-graph";
import { startJwksServer } from "./test/servers/jwks-server";
import { microsoftTestBindings } from "./test/servers/oauth-server";
import { webhookReceiverBindings } from "./test/servers/webhook-receiver";
import { xssCorpora } from "./test/servers/xss-corpora";

/** HS256 secret the tests use for the development-token path. */
const TEST_DEV_SECRET = "test-dev-secret-for-vitest-only";

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(__dirname, "migrations"));
  // Outside services run as real local servers for the whole test run; the Worker reaches them
  // through the same config vars production uses.
  const jwks = await startJwksServer();
  // dnsdist (DoH) in front of nsd, for the domain tests; see test/servers/dns-servers.ts.
  const dns = await dnsTestBindings();
  // The Microsoft identity platform stand-in (oauth2-mock-server), for the Outlook connection tests.
  const microsoft = await microsoftTestBindings();
  // The Microsoft Graph stand-in (mail folders, paged messages, subscriptions), for the mailbox tests.
  const graph = await graphTestBindings();

  return {
    // The bundle's module substitutes too (wrangler.toml [alias]), so what is tested is what deploys.
    resolve: {
      alias: [
        // Tests live beside their feature (src/features/<room>/test/) and share test/helpers through @test.
        { find: "@test", replacement: path.join(__dirname, "test") },
        { find: "@", replacement: path.join(__dirname, "src") },
        ...wranglerBundleAliases(__dirname),
      ],
    },
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            // Public XSS vectors for the sanitizer tests (test/servers/xss-corpora.ts).
            TEST_XSS_CORPORA: JSON.stringify(xssCorpora()),
            JWT_JWKS_URL: `${jwks.url}/jwks.json`,
            // Required once a JWKS is configured; signToken puts both into every token by default.
            JWT_ISSUER: jwks.issuer,
            JWT_AUDIENCE: jwks.audience,
            JWT_DEV_SECRET: TEST_DEV_SECRET,
            TEST_JWKS_ADMIN_URL: jwks.url,
            TEST_SIGNING_KEYS: JSON.stringify(jwks.keys),
            ...dns,
            ...microsoft,
            ...graph,
            ...(await webhookReceiverBindings()),
          },
        },
      }),
    ],
    test: {
      setupFiles: ["./test/setup/apply-migrations.ts"],
      // Test files mostly wait (workerd, the stand-in servers, Durable Object alarms), so at least two run at
      // once even on 2 cores, where vitest's default (cores - 1) is one: 535 s -> 258 s on this machine.
      maxWorkers: Math.max(2, availableParallelism() - 1),
      // A file's first test also loads the app in a fresh isolate; with two files transforming and starting at
      // once on a fresh clone (no transform cache), that alone has taken over vitest's default 5 s.
      testTimeout: 20_000,
      include: ["test/**/*.test.ts", "src/**/*.test.ts"],
      reporters: ["default", "./test/reporters/summary.ts"],
    },
  };
});
