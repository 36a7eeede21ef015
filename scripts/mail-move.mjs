#!/usr/bin/env node
// `npm run mail:move -- [--local|--remote] [--drive <wrangler dev url>]`: how far the move of mail from D1 into
// the mailboxes' Durable Objects has got (README "Capacity"): mailboxes done, moving (with the D1 rows each
// still has), and mail still wholly in D1. The move drives itself: the hourly cron queues up to
// MAILBOX_MOVE_MAILBOXES mailboxes per run and each mailbox's `move` tasks send themselves on until it is done.
// `--drive <url>` runs that cron once now on a local `wrangler dev --test-scheduled` (its /__scheduled route).
// The wrangler binary can be replaced with WRANGLER=<path> (scripts/mail-move.test.mjs does).
import { spawnSync } from "node:child_process";

const CONFIG_PATH = process.env.WRANGLER_CONFIG ?? "wrangler.toml";
const wranglerBin = process.env.WRANGLER ?? "wrangler";
const where = process.argv.includes("--remote") ? "--remote" : "--local";
const driveAt = process.argv[process.argv.indexOf("--drive") + 1];
const drive = process.argv.includes("--drive");

const QUERIES = {
  states: "SELECT state, count(*) AS n FROM mailbox_stores GROUP BY state",
  moving: `SELECT s.org_id, s.mailbox, (SELECT count(*) FROM imported_messages i
    WHERE i.org_id = s.org_id AND i.mailbox = s.mailbox) AS rows_left FROM mailbox_stores s WHERE s.state = 'moving'
    ORDER BY rows_left DESC LIMIT 20`,
  left: "SELECT count(*) AS n FROM imported_messages",
};

/** Runs one SQL statement through `wrangler d1 execute` and answers its rows. */
function query(sql) {
  const result = spawnSync(
    wranglerBin,
    ["--config", CONFIG_PATH, "d1", "execute", "DB", where, "--json", "--command", sql.replace(/\s+/g, " ")],
    { encoding: "utf8", env: { WRANGLER_SEND_METRICS: "false", ...process.env } },
  );
  if (result.status !== 0) {
    process.stderr.write(result.stderr ?? "");
    throw new Error(`wrangler d1 execute failed (${where})`);
  }
  const [first] = JSON.parse(result.stdout);
  return first?.results ?? [];
}

async function main() {
  if (drive) {
    if (!driveAt) throw new Error("--drive needs the local wrangler dev URL, e.g. http://localhost:8787");
    const response = await fetch(new URL("/__scheduled?cron=0+*+*+*+*", driveAt));
    console.log(`ran the hourly cron at ${driveAt}: ${response.status}`);
  }
  const states = Object.fromEntries(query(QUERIES.states).map((row) => [row.state, row.n]));
  const moving = query(QUERIES.moving);
  const [{ n: rowsLeft } = { n: 0 }] = query(QUERIES.left);
  const movingRows = moving.reduce((sum, row) => sum + row.rows_left, 0);
  console.log(`mailboxes with their mail in their object: ${states.object ?? 0}`);
  console.log(`mailboxes moving: ${states.moving ?? 0}`);
  for (const row of moving) console.log(`  ${row.org_id} ${row.mailbox}: ${row.rows_left} rows still in D1`);
  console.log(`D1 message rows left: ${rowsLeft} (${rowsLeft - movingRows} of mailboxes not started yet)`);
  console.log(rowsLeft === 0 ? "done: D1 holds no mail" : "not done: the hourly cron carries on");
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
