#!/usr/bin/env node
// `node bench/startup-profile.mjs [--runs 7] [--top 15] [--no-floor] [worker.bundle ...]`
//
// Startup CPU of the Worker as `wrangler check startup` profiles it. Without arguments it builds the
// bundle (`wrangler deploy --dry-run --outfile`, so the wrangler.toml build settings apply) and profiles
// that; with bundle paths (`wrangler deploy --dry-run --outfile x.bundle` of an older checkout, say) it profiles those, alternating between
// them run by run so a busy machine slows each alike. Per bundle it prints the medians of the profile span
// (wrangler's "Profile window", the startup time DevTools shows), of the active time (wrangler's "Active":
// sampled time minus idle) and of the non-idle time (span minus idle, so it includes the unsampled part of
// the window), then the top frames (self and inclusive) of the median run. Frames are mapped through the source map the bundle carries (the `index.js.map` part of
// `wrangler deploy --outfile`) to `<- source:line` of the function's start, and the same times are summed
// per source file (inclusive per file: roughly what importing that module cost, since esbuild wraps a
// module that is loaded lazily in one initializer function).
//
// The floor: unless --no-floor, the no-op Worker of bench/noop-worker is built and profiled in the same
// alternation. Its span (~18-30 ms here, one or two samples, nearly all idle: the profiler's window around
// workerd loading any script) is what no change to this Worker can remove; each bundle's line adds its
// span as a ratio to the floor's and both medians' part above the floor.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const root = path.join(import.meta.dirname, "..");
const { values, positionals } = parseArgs({
  allowPositionals: true,
  allowNegative: true,
  options: {
    runs: { type: "string", default: "7" },
    top: { type: "string", default: "15" },
    floor: { type: "boolean", default: true },
  },
});
const wranglerJs = path.join(root, "node_modules/wrangler/bin/wrangler.js");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
const work = mkdtempSync(path.join(tmpdir(), "startup-profile-"));

const noopConfig = path.join(root, "bench/noop-worker/wrangler.toml");

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

function buildFloor() {
  const outfile = path.join(work, "noop-floor.bundle");
  wrangler(["deploy", "--dry-run", "--outfile", outfile, "--config", noopConfig]);
  return outfile;
}

const BASE64 = new Map([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].map((c, i) => [c, i]));

/** Source map v3 `mappings` as, per generated line, [generated column, source index, source line] rows. */
function decodeMappings(mappings) {
  const lines = [];
  let source = 0;
  let sourceLine = 0;
  for (const line of mappings.split(";")) {
    const rows = [];
    let column = 0;
    for (const segment of line.split(",")) {
      if (!segment) continue;
      const fields = [];
      let value = 0;
      let shift = 0;
      for (const char of segment) {
        const digit = BASE64.get(char);
        value += (digit & 31) * 2 ** shift;
        if (digit & 32) shift += 5;
        else {
          fields.push(value % 2 ? -Math.floor(value / 2) : value / 2);
          value = 0;
          shift = 0;
        }
      }
      column += fields[0];
      if (fields.length < 4) continue;
      source += fields[1];
      sourceLine += fields[2];
      rows.push([column, source, sourceLine]);
    }
    lines.push(rows);
  }
  return lines;
}

/**
 * `(line, column) -> { file, line }` of the original source (0-based in, as cpuprofile call frames are;
 * 1-based line out), from the bundle's `index.js.map` part; a bundle without one maps nothing.
 */
function sourceMapOf(bundle) {
  const text = readFileSync(bundle, "utf8");
  const boundary = text.slice(0, text.indexOf("\r\n"));
  const part = text.split(boundary).find((p) => /name="[^"]*\.map"/.test(p.slice(0, 300)));
  if (!part) return () => undefined;
  const map = JSON.parse(part.slice(part.indexOf("\r\n\r\n") + 4).trimEnd());
  // A package whose own map points at its TypeScript (drizzle-orm: `../src/*.ts`) comes out as node_modules/src/.
  const sources = map.sources.map((s) =>
    s
      .replace(/^(\.\.\/)+/, "")
      .replace(/(^|\/)node_modules\/src\//, "$1node_modules/<package>/src/")
      .replace(/^.*node_modules\//, ""),
  );
  const lines = decodeMappings(map.mappings);
  return (line, column) => {
    const rows = lines[line];
    if (!rows?.length || rows[0][0] > column) return undefined;
    let lo = 0;
    let hi = rows.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (rows[mid][0] <= column) lo = mid;
      else hi = mid - 1;
    }
    return { file: sources[rows[lo][1]], line: rows[lo][2] + 1 };
  };
}

/** Frame key: function name and position (minified bundles name functions by short identifiers). */
const frameKey = (n, source) =>
  `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber + 1}:${n.callFrame.columnNumber + 1}` +
  (source ? ` <- ${source.file}:${source.line}` : "");

function analyse(file, sourceOf) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const sourceOfNode = new Map(
    profile.nodes.map((n) => [
      n.id,
      n.callFrame.lineNumber < 0 ? undefined : sourceOf(n.callFrame.lineNumber, n.callFrame.columnNumber),
    ]),
  );
  const self = new Map();
  const inclusive = new Map();
  const selfByFile = new Map();
  const inclusiveByFile = new Map();
  const add = (map, key, us) => map.set(key, (map.get(key) ?? 0) + us);
  let idle = 0;
  for (const n of profile.nodes) {
    const us = selfUs.get(n.id) ?? 0;
    if (n.callFrame.functionName === "(idle)") idle += us;
    add(self, frameKey(n, sourceOfNode.get(n.id)), us);
    const file = sourceOfNode.get(n.id)?.file;
    if (file) add(selfByFile, file, us);
    const seen = new Set();
    const seenFiles = new Set();
    for (let id = n.id; id !== undefined; id = parent.get(id)) {
      const k = frameKey(byId.get(id), sourceOfNode.get(id));
      if (!seen.has(k)) add(inclusive, k, us);
      seen.add(k);
      const f = sourceOfNode.get(id)?.file;
      if (f && !seenFiles.has(f)) add(inclusiveByFile, f, us);
      if (f) seenFiles.add(f);
    }
  }
  const spanMs = (profile.endTime - profile.startTime) / 1000;
  const sampledMs = profile.timeDeltas.reduce((sum, us) => sum + us, 0) / 1000;
  return {
    spanMs,
    activeMs: sampledMs - idle / 1000,
    busyMs: spanMs - idle / 1000,
    self,
    inclusive,
    selfByFile,
    inclusiveByFile,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The per-key mean over the runs of one of their maps (a sample is ~1 ms: one run's per-file split is coarse). */
function meanOf(runs, field) {
  const sum = new Map();
  for (const run of runs) for (const [k, us] of run[field]) sum.set(k, (sum.get(k) ?? 0) + us / runs.length);
  return sum;
}

function top(map, n) {
  return [...map.entries()]
    .filter(([k, us]) => us > 0 && !k.startsWith("(root)") && !k.startsWith("(idle)"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `    ${(us / 1000).toFixed(1).padStart(6)} ms  ${k}`);
}

try {
  const measured = positionals.length > 0 ? positionals.map((p) => path.resolve(p)) : [build()];
  const floor = values.floor ? buildFloor() : undefined;
  const bundles = floor ? [floor, ...measured] : measured;
  const results = new Map(bundles.map((b) => [b, []]));
  const sourceMaps = new Map(bundles.map((b) => [b, sourceMapOf(b)]));
  for (let run = 0; run < Number(values.runs); run++) {
    for (const bundle of bundles) {
      const outfile = path.join(work, `run-${run}-${bundles.indexOf(bundle)}.cpuprofile`);
      wrangler(["check", "startup", "--worker", bundle, "--outfile", outfile]);
      results.get(bundle).push({ ...analyse(outfile, sourceMaps.get(bundle)), outfile });
    }
  }
  const medians = (bundle) => ({
    span: median(results.get(bundle).map((r) => r.spanMs)),
    active: median(results.get(bundle).map((r) => r.activeMs)),
    busy: median(results.get(bundle).map((r) => r.busyMs)),
  });
  const versusFloor = (m) => {
    if (!floor) return "";
    const f = medians(floor);
    // No ratio for active and non-idle time: the floor's is a sample or two (0 to ~15 ms), so only the
    // difference means much.
    return (
      `\n  versus the no-op floor: span ${(m.span / f.span).toFixed(2)}x (+${(m.span - f.span).toFixed(1)} ms), ` +
      `active +${(m.active - f.active).toFixed(1)} ms, non-idle +${(m.busy - f.busy).toFixed(1)} ms`
    );
  };
  for (const bundle of bundles) {
    const runs = results.get(bundle);
    const spans = runs.map((r) => r.spanMs);
    const mid = [...runs].sort((a, b) => a.spanMs - b.spanMs)[Math.floor(runs.length / 2)];
    const m = medians(bundle);
    const name = bundle === floor ? "floor (bench/noop-worker)" : bundle;
    console.log(
      `\n${name}: startup profile span median ${m.span.toFixed(1)} ms ` +
        `(runs: ${spans.map((s) => s.toFixed(0)).join(", ")}), active median ${m.active.toFixed(1)} ms, ` +
        `non-idle median ${m.busy.toFixed(1)} ms` +
        (bundle === floor ? "" : versusFloor(m)),
    );
    if (bundle === floor) continue;
    console.log("  top self time (median run):");
    console.log(top(mid.self, Number(values.top)).join("\n"));
    console.log("  top inclusive time (median run):");
    console.log(top(mid.inclusive, Number(values.top)).join("\n"));
    if (runs[0].inclusiveByFile.size === 0) continue;
    console.log("  top self time per source file (mean of the runs):");
    console.log(top(meanOf(runs, "selfByFile"), Number(values.top)).join("\n"));
    console.log("  top inclusive time per source file (mean of the runs):");
    console.log(top(meanOf(runs, "inclusiveByFile"), Number(values.top)).join("\n"));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
