#!/usr/bin/env node
// `node bench/wrk-hot-path.mjs [--rounds 5] [--seconds 5] [--connections 8] [--compare-dir <older checkout>]`
// (needs `wrk`: apt-get install wrk).
//
// The hot path against the floor, in one run: `wrangler dev` serves the API (local D1 in a temporary
// directory, the development token secret of .dev.vars.example) and, beside it, the no-op Worker of
// bench/noop-worker/ and the bare-D1 Worker of bench/d1-worker/ (one route: the list's SELECT over a copy of
// the same rows, answered as JSON; no router, auth or zod). The script seeds one org with 20 addresses
// through the API, copies those rows into the bare-D1 Worker's local database, then alternates wrk runs:
// no-op, bare-D1, list, no-op, bare-D1, list, ... (same wrk settings, same machine, same moment), and prints
// the requests per second of each run, the medians and the ratios list/no-op, bare-D1/no-op (the most any
// D1-backed route reaches here) and list/bare-D1 (what the API adds to its query). The list run sends an
// authenticated GET /v2/email-settings/email-addresses (a fresh HS256 token from `npm run token`) and is
// checked first to answer 200 with the 20 addresses, the bare-D1 run to answer the same 20 rows. Ratios are
// printed as ratios of the medians and, in brackets, as the median of each round's own ratios.
// Traffic goes to 127.0.0.1 only; every run is bounded by --seconds.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
    "d1-port": { type: "string", default: "18789" },
    // Another checkout of the API (e.g. `git archive` of an older commit, with node_modules linked) to
    // measure instead of this one, or beside it (--compare-dir): each round then runs no-op, bare-D1, list, list.
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
  return body;
}

/** One wrk run; its requests per second (non-2xx answers make the run fail). */
function wrk(url, headers = []) {
  const args = ["-t1", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", ...headers.flatMap((h) => ["-H", h]), url];
  const out = spawnSync("wrk", args, { encoding: "utf8", timeout: (SECONDS + 30) * 1000 });
  if (out.status !== 0) throw new Error(`wrk failed: ${out.stderr}`);
  if (/Non-2xx or 3xx responses/.test(out.stdout)) throw new Error(`wrk saw error answers:\n${out.stdout}`);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out.stdout);
  const p50 = /^\s*50%\s+(\S+)/m.exec(out.stdout);
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
  const org = `bench-org-${Date.now()}`;
  const auth = `Bearer ${token(dir, org)}`;
  const listed = await seed(base, auth);
  return { dir, org, listed, url: `${base}${LIST_PATH}`, headers: [`authorization: ${auth}`], rps: [], ratios: [] };
}

/** SQL literal of one value of an address as the API lists it (arrays as JSON text, booleans as 0/1). */
function sqlValue(value) {
  if (value === undefined || value === null) return "NULL";
  if (typeof value === "boolean") return value ? "1" : "0";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return `'${text.replaceAll("'", "''")}'`;
}

const ADDRESS_COLUMNS = [
  "id",
  "org_id",
  "address",
  "name",
  "user_ids",
  "group_ids",
  "default_signature_id",
  "shared_inbox_id",
  "is_active",
  "is_primary",
  "is_epilot_email_address",
  "created_at",
  "updated_at",
  "created_by",
  "updated_by",
];

/**
 * Starts the bare-D1 Worker on `port` with its own local D1: the API's migrations, then the rows the API
 * listed for `org` (written back column by column), checked to come back the same and in the same order.
 */
async function startBareD1(org, listed, port) {
  const config = ["-c", "bench/d1-worker/wrangler.toml"];
  const persistTo = mkdtempSync(path.join(persist, "d1-bare-"));
  const local = ["--local", "--persist-to", persistTo];
  const migrate = wrangler(root, ["d1", "migrations", "apply", "DB", ...local, ...config]);
  if (migrate.status !== 0) throw new Error(`bare-D1 migrations failed:\n${migrate.stdout}${migrate.stderr}`);
  const rows = listed.map((a) => `(${ADDRESS_COLUMNS.map((c) => sqlValue(c === "org_id" ? org : a[c])).join(", ")})`);
  const sqlFile = path.join(persistTo, "rows.sql");
  writeFileSync(sqlFile, `INSERT INTO email_addresses (${ADDRESS_COLUMNS.join(", ")}) VALUES\n${rows.join(",\n")};\n`);
  const insert = wrangler(root, ["d1", "execute", "DB", ...local, ...config, "--file", sqlFile, "-y"]);
  if (insert.status !== 0) throw new Error(`copying the rows failed:\n${insert.stdout}${insert.stderr}`);
  await startDev(root, ["--persist-to", persistTo, ...config], port);
  const url = `http://127.0.0.1:${port}/?org=${encodeURIComponent(org)}`;
  const body = await (await fetch(url)).json();
  const same = Array.isArray(body) && body.map((r) => r.id).join() === listed.map((a) => a.id).join();
  if (!same) throw new Error(`the bare-D1 Worker answers ${JSON.stringify(body).slice(0, 200)}, not the 20 rows`);
  return url;
}

async function main() {
  const noopPort = Number(values["noop-port"]);
  const apis = [await startApi(apiDir, Number(values["api-port"]))];
  if (compareDir) apis.push(await startApi(compareDir, Number(values["api-port"]) + 3));
  await startDev(root, ["-c", "bench/noop-worker/wrangler.toml"], noopPort);
  const noop = `http://127.0.0.1:${noopPort}/`;
  const bareD1 = await startBareD1(apis[0].org, apis[0].listed, Number(values["d1-port"]));

  // Warm every isolate before timing.
  wrk(noop);
  wrk(bareD1);
  for (const api of apis) wrk(api.url, api.headers);
  const noopRps = [];
  const d1Rps = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const n = wrk(noop);
    noopRps.push(n.rps);
    const d = wrk(bareD1);
    d1Rps.push(d.rps);
    const parts = [
      `round ${round}: no-op ${n.rps.toFixed(0)} req/s (p50 ${n.p50})`,
      `bare-D1 ${d.rps.toFixed(0)} req/s (p50 ${d.p50}), /no-op ${(d.rps / n.rps).toFixed(2)}`,
    ];
    for (const api of apis) {
      const l = wrk(api.url, api.headers);
      api.rps.push(l.rps);
      api.ratios.push({ noop: l.rps / n.rps, d1: l.rps / d.rps });
      parts.push(
        `${api.dir === root ? "list" : `list (${api.dir})`} ${l.rps.toFixed(0)} req/s (p50 ${l.p50}), ` +
          `/no-op ${(l.rps / n.rps).toFixed(2)}, /bare-D1 ${(l.rps / d.rps).toFixed(2)}`,
      );
    }
    console.log(parts.join("; "));
  }
  // Ratios of the medians, and (in brackets) the median of the rounds' own ratios: each round's runs are
  // seconds apart, so on a machine whose load changes that second figure is the steadier one.
  const noopMedian = median(noopRps);
  const d1Median = median(d1Rps);
  const d1Ratio = median(d1Rps.map((d, i) => d / noopRps[i]));
  console.log(
    `\nmedians over ${ROUNDS} alternated rounds (wrk -t1 -c${CONNECTIONS} -d${SECONDS}s): no-op ${noopMedian.toFixed(0)} req/s, ` +
      `bare-D1 ${d1Median.toFixed(0)} req/s, bare-D1/no-op ${(d1Median / noopMedian).toFixed(2)}x [${d1Ratio.toFixed(2)}x]`,
  );
  for (const api of apis) {
    const listMedian = median(api.rps);
    const byNoop = median(api.ratios.map((r) => r.noop));
    const byD1 = median(api.ratios.map((r) => r.d1));
    console.log(
      `  ${api.dir}: list of ${ADDRESSES} addresses ${listMedian.toFixed(0)} req/s, ` +
        `list/no-op ${(listMedian / noopMedian).toFixed(2)}x [${byNoop.toFixed(2)}x], ` +
        `list/bare-D1 ${(listMedian / d1Median).toFixed(2)}x [${byD1.toFixed(2)}x]`,
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
