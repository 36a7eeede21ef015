import { defineConfig } from "drizzle-kit";

// The schema of each mailbox's Durable Object (SQLite storage): `npm run db:generate:mailbox` writes its
// migrations and the module the object imports them from (scripts/bundle-mailbox-migrations.mjs).
export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./src/db/mailbox-object/schema.ts",
  out: "./src/db/mailbox-object/migrations",
});
