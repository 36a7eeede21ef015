#!/usr/bin/env node
// `npm start [-- <wrangler dev args>]`: applies the local D1 migrations, then runs `wrangler dev` with
// the development vars of `.dev.vars.example` (so tokens from `npm run token` work with no setup).
// Arguments after `--` go to `wrangler dev` and come after ours, so `--var KEY:VALUE` can override.
import { spawnSync } from "node:child_process";
import { readDevVars } from "./dev-vars.mjs";

// Metrics off: the machines this runs on are often offline, and the lookup only prints noise there.
const env = { WRANGLER_SEND_METRICS: "false", ...process.env };
const wrangler = (args) => spawnSync("wrangler", args, { stdio: "inherit", env, shell: process.platform === "win32" });

const migrate = wrangler(["d1", "migrations", "apply", "DB", "--local"]);
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

// The development secret is for a Worker on this machine only: never hand it to a remote preview.
const args = process.argv.slice(2);
const remote = args.some((arg) => arg === "--remote" || arg === "-r" || arg.startsWith("--remote="));
const vars = Object.entries(readDevVars()).filter(([key]) => !(remote && key === "JWT_DEV_SECRET"));
if (remote) console.warn("npm start: --remote, so JWT_DEV_SECRET is not passed (development tokens work locally only)");
const devVars = vars.flatMap(([key, value]) => ["--var", `${key}:${value}`]);
const dev = wrangler(["dev", ...devVars, ...args]);
process.exit(dev.status ?? 0);
