#!/usr/bin/env node
// `npm run setup:cloudflare`: makes a Cloudflare account ready for `npm run deploy`, idempotently.
// - creates every D1 database, queue (dead letter queues included) and R2 bucket wrangler.toml binds that
//   does not exist yet, and writes a new database's id into wrangler.toml;
// - applies the D1 migrations to the remote database;
// - lists the secrets and the required vars that are still unset.
// Run it again at any time: existing resources are left alone. `--dry-run` only prints what it would do.
// The wrangler binary can be replaced with WRANGLER=<path> (scripts/setup-cloudflare.test.mjs does).
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { unstable_readConfig } from "wrangler";

const CONFIG_PATH = process.env.WRANGLER_CONFIG ?? "wrangler.toml";
/** Set with `wrangler secret put`; the Worker answers 503 naming them while they are missing. */
const SECRETS = ["MS_CLIENT_SECRET", "TOKEN_ENCRYPTION_KEYS"];
/** Vars that are empty in wrangler.toml but needed in production. */
const REQUIRED_VARS = ["JWT_JWKS_URL", "JWT_ISSUER", "JWT_AUDIENCE", "MS_CLIENT_ID", "MS_REDIRECT_URI"];

const dryRun = process.argv.includes("--dry-run");
const wranglerBin = process.env.WRANGLER ?? "wrangler";
const env = { WRANGLER_SEND_METRICS: "false", ...process.env };

function wrangler(args, { quiet = false } = {}) {
  const result = spawnSync(wranglerBin, ["--config", CONFIG_PATH, ...args], {
    encoding: "utf8",
    env,
    shell: process.platform === "win32",
  });
  if (!quiet && result.stderr) process.stderr.write(result.stderr);
  return { ok: result.status === 0, stdout: result.stdout ?? "" };
}

/** Runs a creating command, or only says it would. */
function create(what, args) {
  if (dryRun) {
    console.log(`would create ${what}: wrangler ${args.join(" ")}`);
    return;
  }
  console.log(`creating ${what}`);
  if (!wrangler(args).ok) throw new Error(`could not create ${what} (wrangler ${args.join(" ")})`);
}

function databaseId(name) {
  const info = wrangler(["d1", "info", name, "--json"], { quiet: true });
  if (!info.ok) return undefined;
  try {
    return JSON.parse(info.stdout).uuid;
  } catch {
    return undefined;
  }
}

/** Puts `id` into the `[[d1_databases]]` block of `name` in wrangler.toml, keeping everything else. */
function writeDatabaseId(name, id) {
  const text = readFileSync(CONFIG_PATH, "utf8");
  const blocks = text.split(/(?=^\[\[d1_databases\]\])/m);
  const updated = blocks.map((block) =>
    block.startsWith("[[d1_databases]]") && block.includes(`database_name = "${name}"`)
      ? block.replace(/database_id = "[^"]*"/, `database_id = "${id}"`)
      : block,
  );
  if (dryRun) {
    console.log(`would write database_id ${id} for ${name} into ${CONFIG_PATH}`);
    return;
  }
  writeFileSync(CONFIG_PATH, updated.join(""));
  console.log(`wrote database_id of ${name} into ${CONFIG_PATH}`);
}

function setupDatabases(config) {
  for (const db of config.d1_databases ?? []) {
    let id = databaseId(db.database_name);
    if (!id) {
      create(`D1 database ${db.database_name}`, ["d1", "create", db.database_name]);
      id = dryRun ? "<new id>" : databaseId(db.database_name);
      if (!id) throw new Error(`created D1 database ${db.database_name} but could not read its id`);
    } else {
      console.log(`D1 database ${db.database_name} exists (${id})`);
    }
    if (db.database_id !== id) writeDatabaseId(db.database_name, id);
    if (dryRun) console.log(`would apply migrations: wrangler d1 migrations apply ${db.binding} --remote`);
    else if (!wrangler(["d1", "migrations", "apply", db.binding, "--remote"]).ok) {
      throw new Error(`migrations of ${db.database_name} failed`);
    }
  }
}

function queueNames(config) {
  const queues = config.queues ?? {};
  const names = [
    ...(queues.producers ?? []).map((p) => p.queue),
    ...(queues.consumers ?? []).flatMap((c) => [c.queue, c.dead_letter_queue]),
  ];
  return [...new Set(names.filter(Boolean))];
}

function setupQueuesAndBuckets(config) {
  for (const queue of queueNames(config)) {
    if (wrangler(["queues", "info", queue], { quiet: true }).ok) console.log(`queue ${queue} exists`);
    else create(`queue ${queue}`, ["queues", "create", queue]);
  }
  for (const bucket of (config.r2_buckets ?? []).map((b) => b.bucket_name).filter(Boolean)) {
    if (wrangler(["r2", "bucket", "info", bucket], { quiet: true }).ok) console.log(`R2 bucket ${bucket} exists`);
    else create(`R2 bucket ${bucket}`, ["r2", "bucket", "create", bucket]);
  }
}

function reportMissingSettings(config) {
  const listed = wrangler(["secret", "list", "--format", "json"], { quiet: true });
  let secrets = [];
  try {
    secrets = listed.ok ? JSON.parse(listed.stdout).map((s) => s.name) : [];
  } catch {
    secrets = [];
  }
  const missingSecrets = SECRETS.filter((name) => !secrets.includes(name));
  const missingVars = REQUIRED_VARS.filter((name) => !String(config.vars?.[name] ?? "").trim());
  if (!missingSecrets.length && !missingVars.length) {
    console.log("every secret and required var is set");
    return;
  }
  if (!listed.ok) console.log("(the Worker is not deployed yet, so no secret can be set on it yet)");
  for (const name of missingSecrets) console.log(`secret still to set: npx wrangler secret put ${name}`);
  for (const name of missingVars) console.log(`var still to set in ${CONFIG_PATH} [vars]: ${name}`);
}

try {
  const config = unstable_readConfig({ config: CONFIG_PATH }, { hideWarnings: true });
  setupDatabases(config);
  setupQueuesAndBuckets(config);
  reportMissingSettings(config);
  console.log(dryRun ? "dry run: nothing was changed" : "Cloudflare resources are ready: npm run deploy");
} catch (err) {
  console.error(`setup:cloudflare: ${err.message}`);
  process.exit(1);
}
