#!/usr/bin/env node
// `node bench/startup-profile.mjs [--runs 7] [--top 15] [worker.bundle ...]`
//
// Startup CPU of the Worker as `wrangler check startup` profiles it. Without arguments it builds the
// bundle (`wrangler deploy --dry-run --outfile`, so the wrangler.toml build settings apply) and profiles
// that; with bundle paths (`wrangler deploy --dry-run --outfile x.bundle` of an older checkout, say) it profiles those, alternating between
// them run by run so a busy machine slows each alike. Per bundle it prints the median profile span (the
// startup time DevTools shows) and the median non-idle time, then the top frames (self and inclusive) of
// the median run.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const root = path.join(import.meta.dirname, "..");
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: "string", default: "7" }, top: { type: "string", default: "15" } },
});
const wranglerJs = path.join(root, "node_modules/wrangler/bin/wrangler.js");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
const work = mkdtempSync(path.join(tmpdir(), "startup-profile-"));

function wrangler(args) {
  const out = spawnSync(process.execPath, [wranglerJs, ...args], { cwd: root, env, encoding: "utf8" });
  if (out.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed:\n${out.stdout}\n${out.stderr}`);
  return out.stdout;
}

function build() {
  const outfile = path.join(work, "worker.bundle");
  const output = wrangler(["deploy", "--dry-run", "--outfile", outfile]);
  const size = /Total Upload: .*/.exec(output)?.[0] ?? "";
  console.log(`built the current bundle: ${size}`);
  return outfile;
}

/** Frame key: function name and position (minified bundles name functions by short identifiers). */
const frameKey = (n) =>
  `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber + 1}:${n.callFrame.columnNumber + 1}`;

function analyse(file) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const inclusive = new Map();
  let idle = 0;
  for (const n of profile.nodes) {
    const us = selfUs.get(n.id) ?? 0;
    if (n.callFrame.functionName === "(idle)") idle += us;
    const key = frameKey(n);
    self.set(key, (self.get(key) ?? 0) + us);
    const seen = new Set();
    for (let id = n.id; id !== undefined; id = parent.get(id)) {
      const k = frameKey(byId.get(id));
      if (!seen.has(k)) inclusive.set(k, (inclusive.get(k) ?? 0) + us);
      seen.add(k);
    }
  }
  const spanMs = (profile.endTime - profile.startTime) / 1000;
  return { spanMs, busyMs: spanMs - idle / 1000, self, inclusive };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function top(map, n) {
  return [...map.entries()]
    .filter(([k]) => !k.startsWith("(root)") && !k.startsWith("(idle)"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `    ${(us / 1000).toFixed(1).padStart(6)} ms  ${k}`);
}

try {
  const bundles = positionals.length > 0 ? positionals.map((p) => path.resolve(p)) : [build()];
  const results = new Map(bundles.map((b) => [b, []]));
  for (let run = 0; run < Number(values.runs); run++) {
    for (const bundle of bundles) {
      const outfile = path.join(work, `run-${run}-${bundles.indexOf(bundle)}.cpuprofile`);
      wrangler(["check", "startup", "--worker", bundle, "--outfile", outfile]);
      results.get(bundle).push({ ...analyse(outfile), outfile });
    }
  }
  for (const bundle of bundles) {
    const runs = results.get(bundle);
    const spans = runs.map((r) => r.spanMs);
    const mid = [...runs].sort((a, b) => a.spanMs - b.spanMs)[Math.floor(runs.length / 2)];
    console.log(
      `\n${bundle}: startup profile span median ${median(spans).toFixed(1)} ms ` +
        `(runs: ${spans.map((s) => s.toFixed(0)).join(", ")}), non-idle median ${median(runs.map((r) => r.busyMs)).toFixed(1)} ms`,
    );
    console.log("  top self time (median run):");
    console.log(top(mid.self, Number(values.top)).join("\n"));
    console.log("  top inclusive time (median run):");
    console.log(top(mid.inclusive, Number(values.top)).join("\n"));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
