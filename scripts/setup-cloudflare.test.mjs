// `npm run test:scripts` (node --test): setup-cloudflare.mjs against a fake wrangler that keeps an
// account's resources in a JSON file, so creating, id writing and idempotence are checked without Cloudflare.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

const FAKE_WRANGLER = `#!/usr/bin/env node
const fs = require("node:fs");
const state = JSON.parse(fs.readFileSync(process.env.FAKE_STATE, "utf8"));
const args = process.argv.slice(2).filter((a, i, all) => a !== "--config" && all[i - 1] !== "--config");
state.calls.push(args.join(" "));
const save = () => fs.writeFileSync(process.env.FAKE_STATE, JSON.stringify(state));
const [a, b, c] = args;
let code = 0;
if (a === "d1" && b === "info") { const id = state.d1[c]; if (id) console.log(JSON.stringify({ uuid: id })); else code = 1; }
else if (a === "d1" && b === "create") state.d1[c] = "11111111-2222-3333-4444-555555555555";
else if (a === "d1" && b === "migrations") state.migrated = (state.migrated ?? 0) + 1;
else if (a === "queues" && b === "info") code = state.queues.includes(c) ? 0 : 1;
else if (a === "queues" && b === "create") state.queues.push(c);
else if (a === "r2" && b === "bucket" && c === "info") code = state.buckets.includes(args[3]) ? 0 : 1;
else if (a === "r2" && b === "bucket" && c === "create") state.buckets.push(args[3]);
else if (a === "secret" && b === "list") console.log(JSON.stringify(state.secrets.map((name) => ({ name }))));
else code = 2;
save();
process.exit(code);
`;

function account(initial = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "setup-cloudflare-"));
  copyFileSync(path.join(root, "wrangler.toml"), path.join(dir, "wrangler.toml"));
  const fake = path.join(dir, "wrangler");
  writeFileSync(fake, FAKE_WRANGLER);
  chmodSync(fake, 0o755);
  const statePath = path.join(dir, "state.json");
  writeFileSync(statePath, JSON.stringify({ d1: {}, queues: [], buckets: [], secrets: [], calls: [], ...initial }));
  const run = (...args) =>
    execFileSync(process.execPath, [path.join(root, "scripts/setup-cloudflare.mjs"), ...args], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, WRANGLER: fake, FAKE_STATE: statePath, WRANGLER_CONFIG: path.join(dir, "wrangler.toml") },
    });
  const state = () => JSON.parse(readFileSync(statePath, "utf8"));
  const toml = () => readFileSync(path.join(dir, "wrangler.toml"), "utf8");
  return { run, state, toml };
}

test("a fresh account gets the database, every queue and bucket, and the migrations; the id lands in wrangler.toml", () => {
  const { run, state, toml } = account();
  const out = run();
  const s = state();
  assert.deepEqual(Object.keys(s.d1), ["messaging-settings"]);
  assert.deepEqual(s.queues.sort(), [
    "mailbox-sync",
    "mailbox-sync-dlq",
    "webhook-deliveries",
    "webhook-deliveries-dlq",
  ]);
  assert.deepEqual(s.buckets, ["messaging-settings-messages"]);
  assert.equal(s.migrated, 1);
  assert.match(toml(), /database_id = "11111111-2222-3333-4444-555555555555"/);
  assert.match(out, /secret still to set: npx wrangler secret put MS_CLIENT_SECRET/);
  assert.match(out, /secret still to set: npx wrangler secret put TOKEN_ENCRYPTION_KEYS/);
  assert.match(out, /var still to set in .*wrangler.toml \[vars\]: JWT_JWKS_URL/);
});

test("a second run creates nothing and keeps the id", () => {
  const { run, state, toml } = account();
  run();
  const first = toml();
  const callsBefore = state().calls.length;
  const out = run();
  const calls = state().calls.slice(callsBefore);
  assert.equal(calls.filter((c) => c.includes(" create ")).length, 0, calls.join("\n"));
  assert.equal(toml(), first);
  assert.match(out, /D1 database messaging-settings exists/);
  assert.match(out, /queue mailbox-sync exists/);
});

test("--dry-run only says what it would do", () => {
  const { run, state, toml } = account();
  const before = toml();
  const out = run("--dry-run");
  assert.equal(toml(), before);
  assert.deepEqual(state().queues, []);
  assert.deepEqual(state().d1, {});
  assert.match(out, /would create queue mailbox-sync-dlq/);
  assert.match(out, /dry run: nothing was changed/);
});
