#!/usr/bin/env node
// `node bench/sanitizer-memory.mjs [--before <ref>] [--heap-mb 128] [--messages 100] [--kib 256]`
//
// Peak memory of what one import queue task holds at its worst: a Graph page of --messages mails (100, the
// import's page size) of --kib KiB each, every one of a hostile family of test/fixtures/hostile-html.ts (the
// families in turn), held as the consumer holds it (the page's JSON text and the parsed page), each mail
// sanitized in turn and its sanitized copy encoded (as it is written to the message store) and dropped.
// Each side (the sanitizer of
// --before, default a72ff23, and of the working tree) runs in its own Node process whose V8 heap is capped at
// --heap-mb (128: a Workers isolate's memory limit), so "OOM" means such an invocation would die. Prints,
// per side: completed or OOM, messages sanitized, peak heap used and peak RSS (sampled after every message),
// and the time taken.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { bundle, describeRef, materialize, root } from "./sanitizer-bundles.mjs";

const { values: opts } = parseArgs({
  options: {
    before: { type: "string", default: "a72ff23" },
    "heap-mb": { type: "string", default: "128" },
    messages: { type: "string", default: "100" },
    kib: { type: "string", default: "256" },
  },
});

/** The child: holds the page, sanitizes it as mail, reports as JSON lines (progress, then the result). */
const CHILD = `
const [bundlePath, fixtures, messages, kib] = process.argv.slice(2);
const sanitizer = await import(bundlePath);
const { HOSTILE_FAMILIES } = await import(fixtures);
const bodies = Array.from({ length: Number(messages) }, (_, i) => HOSTILE_FAMILIES[i % HOSTILE_FAMILIES.length].make(Number(kib) * 1024));
// As the consumer has it: Graph's page as text, and parsed.
const text = JSON.stringify({ value: bodies.map((content, i) => ({ id: String(i), body: { contentType: "html", content } })) });
bodies.length = 0;
const page = JSON.parse(text).value;
let stored = 0, peakHeap = 0, peakRss = 0, done = 0;
const started = performance.now();
for (const message of page) {
  const result = sanitizer.sanitizeMailHtml(message.body.content);
  // Written to the message store: encoded, then dropped.
  stored += new TextEncoder().encode(typeof result === "string" ? result : result.html).byteLength;
  const usage = process.memoryUsage();
  peakHeap = Math.max(peakHeap, usage.heapUsed);
  peakRss = Math.max(peakRss, usage.rss);
  done++;
  console.log(JSON.stringify({ done, peakHeap, peakRss, stored, ms: performance.now() - started, textBytes: text.length }));
}
`;

function runSide(label, bundlePath, work) {
  const child = path.join(work, "child.mjs");
  writeFileSync(child, CHILD);
  const fixtures = path.join(root, "test/fixtures/hostile-html.ts");
  const run = spawnSync(
    process.execPath,
    [`--max-old-space-size=${opts["heap-mb"]}`, child, bundlePath, fixtures, opts.messages, opts.kib],
    { encoding: "utf8", maxBuffer: 1 << 26, timeout: 15 * 60 * 1000 },
  );
  const lines = run.stdout.trim().split("\n").filter(Boolean);
  const last = lines.length ? JSON.parse(lines.at(-1)) : { done: 0, peakHeap: 0, peakRss: 0, ms: 0 };
  const completed = last.done === Number(opts.messages);
  const failure = /heap out of memory|Reached heap limit/i.test(run.stderr)
    ? "OOM"
    : run.signal
      ? run.signal
      : "failed";
  const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
  console.log(
    `${label.padEnd(28)} ${(completed ? "completed" : failure).padEnd(10)} ${String(last.done).padStart(4)}/${opts.messages}` +
      `   peak heap ${mb(last.peakHeap).padStart(6)} MB   peak RSS ${mb(last.peakRss).padStart(6)} MB   ${(last.ms / 1000).toFixed(1)} s`,
  );
}

const work = mkdtempSync(path.join(tmpdir(), "sanitizer-memory-"));
try {
  const beforeTree = materialize(opts.before, path.join(work, "before-tree"));
  const before = await bundle(beforeTree, path.join(work, "before.mjs"));
  const after = await bundle(root, path.join(work, "after.mjs"));
  console.log(
    `a page of ${opts.messages} hostile mails of ${opts.kib} KiB, heap capped at ${opts["heap-mb"]} MB ` +
      `(node ${process.version})`,
  );
  runSide(`before ${opts.before} (${describeRef(opts.before)})`, before, work);
  runSide("after (working tree)", after, work);
} finally {
  rmSync(work, { recursive: true, force: true });
}
