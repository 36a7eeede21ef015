#!/usr/bin/env node
// `npm start [-- <wrangler dev args>]`: applies the local D1 migrations, then runs `wrangler dev` with
// the development vars of `.dev.vars.example` (so tokens from `npm run token` work with no setup).
// Arguments after `--` go to `wrangler dev` and come after ours, so `--var KEY:VALUE` can override.
import { spawn, spawnSync } from "node:child_process";
import { readDevVars } from "./dev-vars.mjs";

// Metrics off: the machines this runs on are often offline, and the lookup only prints noise there.
const env = { WRANGLER_SEND_METRICS: "false", ...process.env };
const wrangler = (args) => spawnSync("wrangler", args, { stdio: "inherit", env, shell: process.platform === "win32" });

const migrate = wrangler(["d1", "migrations", "apply", "DB", "--local"]);
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

// The development secret is for a Worker on this machine only: never hand it to a remote preview.
const args = process.argv.slice(2);
const remote = args.some((arg) => arg === "--remote" || arg === "-r" || arg.startsWith("--remote="));
// Nor the development encryption key: a remote preview must seal with a real one.
const LOCAL_ONLY = new Set(["JWT_DEV_SECRET", "TOKEN_ENCRYPTION_KEYS", "LOCAL_DEVELOPMENT"]);
const vars = Object.entries(readDevVars()).filter(([key]) => !(remote && LOCAL_ONLY.has(key)));
if (remote)
  console.warn(
    "npm start: --remote, so JWT_DEV_SECRET and the development TOKEN_ENCRYPTION_KEYS are not passed (they work locally only)",
  );
const devVars = vars.flatMap(([key, value]) => ["--var", `${key}:${value}`]);

/** What a newcomer needs next, once wrangler says where the Worker listens. */
function printNextSteps(url) {
  const base = url.replace(/\/$/, "");
  console.log(
    [
      "",
      "messaging-settings is running:",
      `  API reference  ${base}/docs`,
      `  OpenAPI        ${base}/openapi.json`,
      "  A dev token    TOKEN=$(npm run token -- --org my-org --user me)",
      `  Try it         curl -H "authorization: Bearer $TOKEN" ${base}/v2/email-settings/email-addresses`,
      "",
    ].join("\n"),
  );
}

const dev = spawn("wrangler", ["dev", ...devVars, ...args], {
  stdio: ["inherit", "pipe", "inherit"],
  env,
  shell: process.platform === "win32",
});
let announced = false;
dev.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  const ready = !announced && /Ready on (https?:\/\/\S+)/.exec(chunk.toString());
  if (ready) {
    announced = true;
    printNextSteps(ready[1]);
  }
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
