// `npm run test:scripts` (node --test): check-layers.mjs against a throwaway tree, so what it flags (env read
// below the entry layer, raw SQL outside a store) and what it lets through is checked on known input.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("check-layers.mjs", import.meta.url));
const tick = "`";

function checkTree(files) {
  const dir = mkdtempSync(path.join(tmpdir(), "check-layers-"));
  for (const [relative, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    writeFileSync(path.join(dir, relative), content);
  }
  return spawnSync(process.execPath, [script, dir], { encoding: "utf8" });
}

test("entry points read env, stores hold SQL, services use Services: the tree passes", () => {
  const { status, stdout } = checkTree({
    "src/index.ts": "export default { fetch: (r, env: AppEnv) => env.DB };\n",
    "src/entry/services.ts": "export const s = (env: AppEnv) => ({ d1: env.DB, config: appConfig(env) });\n",
    "src/middlewares/cors.ts": "const x = (c) => c.env;\n",
    "src/features/domains/add.ts":
      "// env.DB is no longer read here; SQL lives in the store\nexport const add = (services) => services.db;\n",
    "src/features/domains/domains.store.ts": `export const q = (d1) => d1.prepare("SELECT 1");\nconst s = sql${tick}x${tick};\nconst r = db.select().from(domains);\n`,
    "src/db/message-store/rows.ts": 'export const q = (d1) => d1.prepare("SELECT 1");\n',
    "src/features/domains/delete.ts": "// db.delete(domains) ran here before\nawait services.db.batch(statements);\n",
    "src/features/domains/test/add.test.ts": 'await env.DB.prepare("SELECT 1").run();\n',
  });
  assert.equal(status, 0, stdout);
  assert.match(stdout, /no env below the entry layer/);
});

test("each env read below the entry layer and each raw statement outside a store fails with its file:line", () => {
  const { status, stderr } = checkTree({
    "src/features/domains/add.ts": "export const add = (env: AppEnv) => 1;\n",
    "src/features/outlook/config.ts": "\nconst c = appConfig(env);\n",
    "src/features/mailboxes/run.ts": "const q = env.MAILBOX_SYNC_QUEUE;\n",
    "src/features/settings/settings.handlers.ts": "export const h = (c) => get(c.env);\n",
    "src/features/webhooks/outbox.ts": 'const r = services.d1.prepare("DELETE FROM x");\n',
    "src/lib/helpers.ts": `const e = sql${tick}count(*)${tick};\n`,
    "src/features/domains/typed.ts": `const e = sql<number>${tick}count(*)${tick};\n`,
    "src/features/domains/destructure.ts": "const { DB } = env;\n",
    "src/features/domains/optional.ts": "const q = env?.MAILBOX_SYNC_QUEUE;\n",
    "src/features/domains/indexed.ts": 'const q = env["DB"];\n',
    "src/features/domains/module-env.ts": 'import { env } from "cloudflare:workers";\n',
    "src/features/shared-inboxes/add.ts": "const rows = await services.db\n  .select()\n  .from(sharedInboxes);\n",
  });
  assert.equal(status, 1);
  for (const location of [
    "reads env below the entry layer (take Services instead): src/features/domains/add.ts:1:",
    "reads env below the entry layer (take Services instead): src/features/outlook/config.ts:2:",
    "reads env below the entry layer (take Services instead): src/features/mailboxes/run.ts:1:",
    "reads env below the entry layer (take Services instead): src/features/settings/settings.handlers.ts:1:",
    "raw SQL outside a store (move it into <table>.store.ts): src/features/webhooks/outbox.ts:1:",
    "raw SQL outside a store (move it into <table>.store.ts): src/lib/helpers.ts:1:",
    "database query outside a store (move it into <table>.store.ts): src/features/shared-inboxes/add.ts:1:",
    "raw SQL outside a store (move it into <table>.store.ts): src/features/domains/typed.ts:1:",
    "reads env below the entry layer (take Services instead): src/features/domains/destructure.ts:1:",
    "reads env below the entry layer (take Services instead): src/features/domains/optional.ts:1:",
    "reads env below the entry layer (take Services instead): src/features/domains/indexed.ts:1:",
    "reads env below the entry layer (take Services instead): src/features/domains/module-env.ts:1:",
  ]) {
    assert.ok(stderr.includes(location), `${location} listed in:\n${stderr}`);
  }
  assert.match(stderr, /12 problem\(s\)/);
});
