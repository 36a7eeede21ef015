#!/usr/bin/env node
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { HOSTILE_FAMILIES, NEWSLETTER_FAMILY } from "../test/fixtures/hostile-html.ts";
import { bundle, describeRef, materialize, root } from "./sanitizer-bundles.mjs";

const FAMILIES = [NEWSLETTER_FAMILY, ...HOSTILE_FAMILIES];
const POLICIES = ["signature", "mail"];
const MIN_RUN_MS = 100;
const HEAP_SAMPLE_MS = 10;

// ---- worker: one side of one case ----

/** Sanitizes `input` under the policy; answers the output's length. */
function sanitizeWith(sanitizer, policy, input) {
  if (policy === "signature") return sanitizer.sanitizeSignatureHtml(input).length;
  const result = sanitizer.sanitizeMailHtml(input);
  return (typeof result === "string" ? result : result.html).length;
}

async function serveCase() {
  const { bundle, family, bytes, policy } = workerData;
  const sanitizer = await import(bundle);
  const input = FAMILIES.find((candidate) => candidate.name === family).make(bytes);
  v8.setFlagsFromString("--expose-gc");
  const collectGarbage = runInNewContext("typeof gc === 'function' ? gc : () => {}");
  for (let i = 0; i < 3; i++) sanitizeWith(sanitizer, policy, NEWSLETTER_FAMILY.make(16 * 1024));
  parentPort.on("message", () => {
    collectGarbage();
    const start = performance.now();
    let calls = 0;
    let outputBytes = 0;
    do {
      outputBytes = sanitizeWith(sanitizer, policy, input);
      calls++;
    } while (performance.now() - start < MIN_RUN_MS);
    parentPort.postMessage({ ms: (performance.now() - start) / calls, outputBytes });
  });
  parentPort.postMessage({ ready: true, inputBytes: input.length });
}

// ---- main thread ----

function options() {
  const { values } = parseArgs({
    options: {
      before: { type: "string", default: "a72ff23" },
      after: { type: "string" },
      runs: { type: "string" },
      sizes: { type: "string" },
      timeout: { type: "string" },
      "heap-mb": { type: "string", default: "2048" },
      only: { type: "string" },
      quick: { type: "boolean", default: false },
    },
  });
  const positive = (text, name) => {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got "${text}"`);
    return value;
  };
  return {
    before: values.before,
    after: values.after,
    runs: positive(values.runs ?? (values.quick ? "3" : "5"), "runs"),
    sizes: (values.sizes ?? (values.quick ? "16,64" : "16,64,256")).split(",").map((size) => positive(size, "sizes")),
    timeoutMs: positive(values.timeout ?? (values.quick ? "10" : "20"), "timeout") * 1000,
    heapMb: positive(values["heap-mb"], "heap-mb"),
    families: FAMILIES.filter((family) => !values.only || family.name.includes(values.only)),
  };
}

/** The input lengths each policy of a bundle reads (longer input is cut); unbounded when not exported. */
async function inputLimits(bundlePath) {
  const { SIGNATURE_MAX_CHARS, MAIL_MAX_CHARS } = await import(bundlePath);
  return { signature: SIGNATURE_MAX_CHARS ?? Infinity, mail: MAIL_MAX_CHARS ?? Infinity };
}

/** One side of a case in its own worker: `ready()`, then `run()` per timed run; peak heap sampled meanwhile. */
function startSide(bundlePath, family, bytes, policy, heapMb) {
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { bundle: bundlePath, family, bytes, policy },
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
  });
  let pending = null;
  let failure = null;
  const settle = (fn, value) => {
    const current = pending;
    pending = null;
    current?.[fn](value);
  };
  worker.on("message", (message) => settle("resolve", message));
  worker.on("error", (error) => {
    failure = error.code === "ERR_WORKER_OUT_OF_MEMORY" ? "OOM" : `error: ${error.message}`;
    settle("reject", new Error(failure));
  });
  worker.on("exit", () => settle("reject", new Error(failure ?? "worker exited")));
  const side = { peakHeap: 0, inputBytes: 0 };
  const request = (message, timeoutMs) =>
    new Promise((resolve, reject) => {
      if (failure) return reject(new Error(failure));
      const timer = setTimeout(() => {
        failure = "timeout";
        settle("reject", new Error("timeout"));
        worker.terminate();
      }, timeoutMs);
      const sampler = setInterval(async () => {
        const stats = await worker.getHeapStatistics().catch(() => null);
        if (stats) side.peakHeap = Math.max(side.peakHeap, stats.used_heap_size);
      }, HEAP_SAMPLE_MS);
      const finish = (answer) => (value) => {
        clearTimeout(timer);
        clearInterval(sampler);
        answer(value);
      };
      pending = { resolve: finish(resolve), reject: finish(reject) };
      if (message) worker.postMessage(message);
    });
  // Listening from the start: the worker may be ready before this side is awaited.
  const ready = request(null, 60_000);
  ready.catch(() => {}); // reported by side.ready()
  side.ready = async () => {
    side.inputBytes = (await ready).inputBytes;
  };
  side.run = (timeoutMs) => request("run", timeoutMs);
  side.stop = () => worker.terminate();
  return side;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Runs one case on both sides, alternating; answers per side { ms[], outputBytes, peakHeap, failure }. */
async function runCase(bundles, family, bytes, policy, opts, skip) {
  const results = bundles.map((_, i) => ({
    ms: [],
    elapsed: 0,
    outputBytes: 0,
    peakHeap: 0,
    failure: skip[i],
    skipped: Boolean(skip[i]),
  }));
  const sides = bundles.map((bundlePath, i) =>
    skip[i] ? null : startSide(bundlePath, family, bytes, policy, opts.heapMb),
  );
  let inputBytes = 0;
  for (const [i, side] of sides.entries()) {
    if (!side) continue;
    try {
      await side.ready();
      inputBytes = side.inputBytes;
    } catch (error) {
      results[i].failure = error.message;
    }
  }
  for (let run = 0; run < opts.runs; run++) {
    const order = run % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const result = results[i];
      const previous = result.ms.at(-1) ?? 0;
      if (!sides[i] || result.failure || (run > 0 && result.elapsed + previous > opts.timeoutMs)) continue;
      const start = performance.now();
      try {
        const { ms, outputBytes } = await sides[i].run(opts.timeoutMs);
        result.ms.push(ms);
        result.outputBytes = outputBytes;
      } catch (error) {
        result.failure = error.message;
      }
      result.elapsed += performance.now() - start;
    }
  }
  for (const [i, side] of sides.entries()) {
    if (!side) continue;
    results[i].peakHeap = side.peakHeap;
    await side.stop();
  }
  return { inputBytes: inputBytes || bytes, results };
}

function formatSide(result, inputBytes, opts) {
  const mark = result.skipped ? "*" : "";
  if (result.failure === "timeout") return { ms: `> ${opts.timeoutMs / 1000} s${mark}`, rate: "", ratio: "" };
  if (result.failure) return { ms: `${result.failure.slice(0, 24)}${mark}`, rate: "", ratio: "" };
  const ms = median(result.ms);
  const runs = result.ms.length < opts.runs ? ` n=${result.ms.length}` : "";
  return {
    ms: `${ms < 10 ? ms.toFixed(2) : ms.toFixed(0)}${runs}`,
    rate: (inputBytes / 1e6 / (ms / 1000)).toPrecision(3),
    ratio: (result.outputBytes / inputBytes).toFixed(2),
    medianMs: ms,
  };
}

function afterOverBefore(before, after, opts) {
  if (after.medianMs === undefined) return "";
  if (before.medianMs !== undefined) return (after.medianMs / before.medianMs).toFixed(3);
  return before.ms.startsWith(">") ? `< ${(after.medianMs / opts.timeoutMs).toFixed(4)}` : "";
}

const HEADER = ["family", "KiB", "policy", "before ms", "MB/s", "after ms", "MB/s", "after/before"];
const COLUMNS = [...HEADER, "out/in before", "out/in after", "heap MB before", "heap MB after"];

function printRow(cells) {
  const widths = [26, 4, 9, 14, 7, 14, 7, 12, 13, 12, 14, 13];
  const text = cells.map((cell, i) => (i < 3 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i])));
  console.log(text.join(" "));
}

async function main() {
  const opts = options();
  const work = mkdtempSync(path.join(tmpdir(), "sanitizer-throughput-"));
  try {
    const beforeTree = materialize(opts.before, path.join(work, "before-tree"));
    const afterTree = opts.after ? materialize(opts.after, path.join(work, "after-tree")) : root;
    const bundles = [
      await bundle(beforeTree, path.join(work, "before.mjs")),
      await bundle(afterTree, path.join(work, "after.mjs")),
    ];
    const maxChars = await Promise.all(bundles.map(inputLimits));
    const afterLabel = opts.after ? `${opts.after} (${describeRef(opts.after)})` : "working tree";
    console.log(`before: ${opts.before} (${describeRef(opts.before)})   after: ${afterLabel}`);
    if (readFileSync(bundles[0], "utf8") === readFileSync(bundles[1], "utf8")) {
      console.log("note: both bundles are identical; the ratios show only the machine's noise");
    }
    console.log(`runs: ${opts.runs}, timeout: ${opts.timeoutMs / 1000} s, heap limit: ${opts.heapMb} MB\n`);
    printRow(COLUMNS);
    for (const family of opts.families) {
      for (const policy of POLICIES) {
        const failedBefore = [undefined, undefined];
        for (const kib of opts.sizes) {
          // A longer input is cut to another prefix, which may be cheap: only uncut sizes inherit a failure.
          const skip = failedBefore.map((failure, i) => (kib * 1024 <= maxChars[i][policy] ? failure : undefined));
          const { inputBytes, results } = await runCase(bundles, family.name, kib * 1024, policy, opts, skip);
          results.forEach((result, i) => {
            if (result.failure === "timeout" || result.failure === "OOM") failedBefore[i] = result.failure;
          });
          const [before, after] = results.map((result) => formatSide(result, inputBytes, opts));
          const heap = results.map((result) => (result.peakHeap ? (result.peakHeap / 1e6).toFixed(0) : ""));
          const ratio = afterOverBefore(before, after, opts);
          const times = [before.ms, before.rate, after.ms, after.rate, ratio];
          printRow([family.name, kib, policy, ...times, before.ratio, after.ratio, ...heap]);
        }
      }
    }
    console.log("\n*: not run, that side already failed (timeout or OOM) at a smaller uncut size of the family");
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (isMainThread) await main();
else await serveCase();
