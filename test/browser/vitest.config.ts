import { defineConfig } from "vitest/config";

// `npm run test:browser`: the real-browser tests of /docs, in plain Node (not the Workers pool): they start
// `wrangler dev` and Debian's Chromium themselves. The main suite (vitest.config.ts) includes only *.test.ts.
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["**/*.spec.ts"],
    environment: "node",
    pool: "forks",
    // Starting wrangler dev and Chromium takes a few seconds on a 2-core machine; a hung start still ends.
    hookTimeout: 120_000,
    testTimeout: 120_000,
    reporters: ["default", "../reporters/summary.ts"],
  },
});
