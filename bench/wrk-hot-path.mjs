#!/usr/bin/env node
// `node bench/wrk-hot-path.mjs [--rounds 5] [--seconds 5] [--connections 8] [--compare-dir <older checkout>]`
// (needs `wrk`: apt-get install wrk).
//
// The hot path against the floor, in one run: `wrangler dev` serves the API (local D1 in a temporary
// directory, the development token secret of .dev.vars.example) and, beside it, the no-op Worker of
// bench/noop-worker/. The script seeds one org with 20 addresses through the API, then alternates wrk runs:
// no-op, list, no-op, list, ... (same wrk settings, same machine, same moment), and prints the requests per
// second of each run, the medians and list/no-op. The list run sends an authenticated
// GET /v2/email-settings/email-addresses (a fresh HS256 token from `npm run token`) and is checked first to
// answer 200 with the 20 addresses. Traffic goes to 127.0.0.1 only; every run is bounded by --seconds.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const root = path.join(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    seconds: { type: "string", default: "5" },
    connections: { type: "string", default: "8" },
    "api-port": { type: "string", default: "18787" },
    "noop-port": { type: "string", default: "18788" },
    // Another checkout of the API (e.g. `git archive` of an older commit, with node_modules linked) to
    // measure instead of this one, or beside it (--compare-dir): each round then runs no-op, list, list.
    "api-dir": { type: "string" },
    "compare-dir": { type: "string" },
  },
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const ADDRESSES = 20;
const LIST_PATH = "/v2/email-settings/email-addresses";

if (spawnSync("wrk", ["--version"]).error) {
  console.error("wrk is not installed: apt-get install -y wrk (Debian/Ubuntu) or brew install wrk (macOS)");
  process.exit(1);
}

const apiDir = values["api-dir"] ? path.resolve(values["api-dir"]) : root;
const compareDir = values["compare-dir"] ? path.resolve(values["compare-dir"]) : undefined;
const wranglerJs = path.join(root, "node_modules/wrangler/bin/wrangler.js");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
const persist = mkdtempSync(path.join(tmpdir(), "wrk-hot-path-"));
const children = [];

function wrangler(cwd, args) {
  return spawnSync(process.execPath, [wranglerJs, ...args], { cwd, env, encoding: "utf8" });
}

/** Starts `wrangler dev` and resolves once it answers on `port`. */
async function startDev(cwd, args, port) {
  const child = spawn(process.execPath, [wranglerJs, "dev", "--ip", "127.0.0.1", "--port", String(port), ...args], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout.on("data", (d) => {
    output += d;
  });
  child.stderr.on("data", (d) => {
    output += d;
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output}`);
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`wrangler dev did not answer on port ${port} within 60 s:\n${output}`);
}

function token(dir, org) {
  const out = spawnSync(process.execPath, [path.join(dir, "scripts/token.mjs"), "--org", org, "--ttl", "3600"], {
    cwd: dir,
    encoding: "utf8",
  });
  if (out.status !== 0) throw new Error(`npm run token failed: ${out.stderr}`);
  return out.stdout.trim();
}

async function seed(base, auth) {
  for (let i = 0; i < ADDRESSES; i++) {
    const res = await fetch(`${base}${LIST_PATH}`, {
      method: "POST",
      headers: { authorization: auth, "content-type": "application/json" },
      body: JSON.stringify({ address: `sender-${i}@bench.example`, name: `Sender ${i}`, user_ids: ["u-1", "u-2"] }),
    });
    if (res.status !== 201) throw new Error(`seeding address ${i}: HTTP ${res.status} ${await res.text()}`);
  }
  const res = await fetch(`${base}${LIST_PATH}`, { headers: { authorization: auth } });
  const body = await res.json();
  if (res.status !== 200 || !Array.isArray(body) || body.length !== ADDRESSES) {
    throw new Error(`the list answers HTTP ${res.status} with ${JSON.stringify(body).slice(0, 200)}`);
  }
}

/** One wrk run; its requests per second (non-2xx answers make the run fail). */
function wrk(url, headers = []) {
  const args = ["-t1", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", ...headers.flatMap((h) => ["-H", h]), url];
  const out = spawnSync("wrk", args, { encoding: "utf8", timeout: (SECONDS + 30) * 1000 });
  if (out.status !== 0) throw new Error(`wrk failed: ${out.stderr}`);
  if (/Non-2xx or 3xx responses/.test(out.stdout)) throw new Error(`wrk saw error answers:\n${out.stdout}`);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out.stdout);
  const p50 = /50%\s+(\S+)/.exec(out.stdout);
  if (!rps) throw new Error(`no Requests/sec in wrk output:\n${out.stdout}`);
  return { rps: Number(rps[1]), p50: p50?.[1] ?? "?" };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Starts one checkout's API on `port` with its own local D1, seeded; answers its list URL and token. */
async function startApi(dir, port) {
  const persistTo = mkdtempSync(path.join(persist, "d1-"));
  const migrate = wrangler(dir, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo]);
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}${migrate.stderr}`);
  const secretLine = /JWT_DEV_SECRET=(.*)/.exec(readFileSync(path.join(dir, ".dev.vars.example"), "utf8"));
  if (!secretLine) throw new Error(`JWT_DEV_SECRET missing from ${dir}/.dev.vars.example`);
  await startDev(dir, ["--persist-to", persistTo, "--var", `JWT_DEV_SECRET:${secretLine[1].trim()}`], port);
  const base = `http://127.0.0.1:${port}`;
  const auth = `Bearer ${token(dir, `bench-org-${Date.now()}`)}`;
  await seed(base, auth);
  return { dir, url: `${base}${LIST_PATH}`, headers: [`authorization: ${auth}`], rps: [] };
}

async function main() {
  const noopPort = Number(values["noop-port"]);
  const apis = [await startApi(apiDir, Number(values["api-port"]))];
  if (compareDir) apis.push(await startApi(compareDir, Number(values["api-port"]) + 2));
  await startDev(root, ["-c", "bench/noop-worker/wrangler.toml"], noopPort);
  const noop = `http://127.0.0.1:${noopPort}/`;

  // Warm every isolate before timing.
  wrk(noop);
  for (const api of apis) wrk(api.url, api.headers);
  const noopRps = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const n = wrk(noop);
    noopRps.push(n.rps);
    const parts = [`round ${round}: no-op ${n.rps.toFixed(0)} req/s (p50 ${n.p50})`];
    for (const api of apis) {
      const l = wrk(api.url, api.headers);
      api.rps.push(l.rps);
      parts.push(
        `${api.dir === root ? "list" : `list (${api.dir})`} ${l.rps.toFixed(0)} req/s (p50 ${l.p50}), ratio ${(l.rps / n.rps).toFixed(2)}`,
      );
    }
    console.log(parts.join("; "));
  }
  const noopMedian = median(noopRps);
  console.log(
    `\nmedians over ${ROUNDS} alternated rounds (wrk -t1 -c${CONNECTIONS} -d${SECONDS}s): no-op ${noopMedian.toFixed(0)} req/s`,
  );
  for (const api of apis) {
    const listMedian = median(api.rps);
    console.log(
      `  ${api.dir}: list of ${ADDRESSES} addresses ${listMedian.toFixed(0)} req/s, list/no-op ${(listMedian / noopMedian).toFixed(2)}x`,
    );
  }
}

try {
  await main();
} finally {
  for (const child of children) child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 500));
  rmSync(persist, { recursive: true, force: true });
}
