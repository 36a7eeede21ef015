import { defineConfig } from "drizzle-kit";

// Flat SQL migrations in ./migrations, applied by `wrangler d1 migrations apply` and by the test setup.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema/index.ts",
  out: "./migrations",
  migrations: { prefix: "index" },
});
