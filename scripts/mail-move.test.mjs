// `npm run test:scripts` (node --test): mail-move.mjs against a fake wrangler answering `d1 execute` from a
// JSON file of a D1 database's state, so the report is checked without Cloudflare.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

// Answers the script's three statements from the state: directory rows and D1 message rows per mailbox.
const FAKE_WRANGLER = `#!/usr/bin/env node
const fs = require("node:fs");
const state = JSON.parse(fs.readFileSync(process.env.FAKE_STATE, "utf8"));
const args = process.argv.slice(2);
state.calls.push(args.filter((a) => a !== "--command" && !a.includes(" ")).join(" "));
fs.writeFileSync(process.env.FAKE_STATE, JSON.stringify(state));
const sql = args[args.indexOf("--command") + 1];
const left = (m) => state.d1[m] ?? 0;
let results;
if (sql.startsWith("SELECT state")) {
  const counts = {};
  for (const s of Object.values(state.stores)) counts[s] = (counts[s] ?? 0) + 1;
  results = Object.entries(counts).map(([s, n]) => ({ state: s, n }));
} else if (sql.startsWith("SELECT s.org_id")) {
  results = Object.entries(state.stores).filter(([, s]) => s === "moving")
    .map(([m]) => ({ org_id: "org-1", mailbox: m, rows_left: left(m) }));
} else {
  results = [{ n: Object.values(state.d1).reduce((a, b) => a + b, 0) }];
}
console.log(JSON.stringify([{ results, success: true }]));
`;

function database(initial) {
  const dir = mkdtempSync(path.join(tmpdir(), "mail-move-"));
  const fake = path.join(dir, "wrangler");
  writeFileSync(fake, FAKE_WRANGLER);
  chmodSync(fake, 0o755);
  const statePath = path.join(dir, "state.json");
  writeFileSync(statePath, JSON.stringify({ calls: [], ...initial }));
  const run = (...args) =>
    execFileSync(process.execPath, [path.join(root, "scripts/mail-move.mjs"), ...args], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, WRANGLER: fake, FAKE_STATE: statePath },
    });
  return { run, calls: () => JSON.parse(readFileSync(statePath, "utf8")).calls };
}

test("reports mailboxes done, moving (with their rows left) and mail not started", () => {
  const db = database({
    stores: { "a@x.example": "object", "b@x.example": "moving", "c@x.example": "object" },
    d1: { "b@x.example": 120, "d@x.example": 30 },
  });
  const out = db.run("--remote");
  assert.match(out, /in their object: 2\n/);
  assert.match(out, /mailboxes moving: 1\n {2}org-1 b@x\.example: 120 rows still in D1/);
  assert.match(out, /D1 message rows left: 150 \(30 of mailboxes not started yet\)/);
  assert.match(out, /not done/);
  assert.ok(db.calls().every((call) => call.includes("d1 execute DB --remote --json")));
});

test("says when D1 holds no mail any more (local database by default)", () => {
  const db = database({ stores: { "a@x.example": "object" }, d1: {} });
  const out = db.run();
  assert.match(out, /D1 message rows left: 0/);
  assert.match(out, /done: D1 holds no mail/);
  assert.ok(db.calls().every((call) => call.includes("--local")));
});
