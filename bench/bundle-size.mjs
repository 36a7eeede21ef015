#!/usr/bin/env node
// `node bench/bundle-size.mjs [--detail <package or src area>] [--top 40] [--json] [--bundle-dir <dir>]`
//
// What each package and each area of our own code weighs in the deployed bundle, raw and gzip. It builds the
// bundle as `wrangler deploy --dry-run` does (so wrangler.toml's minify and [alias] apply) with a source map,
// then gives every character of the minified output to the module it came from (the source map's segments;
// a package whose own source map points at its TypeScript, drizzle-orm's `../src/*.ts`, is recognised through
// that map). Per group it prints:
//   raw      the bytes of the output that group wrote;
//   gzip     those bytes gzipped on their own (as if they were a bundle of their own);
//   saved    what dropping the group would save: gzip(bundle) - gzip(bundle without the group's bytes).
// gzip is zlib's default level, as wrangler's "Total Upload ... gzip" figure. `saved` is the number to quote
// for "what would leaving X out save" (the rest of the bundle shares strings with X, so it is below `gzip`);
// the `saved` column does not add up to the total, `raw` does. `(glue)` is output no source maps to (the
// bundler's module wrappers and helpers).
// --detail <name> splits one group by file; --together a,b (repeatable) prints what dropping those groups
// at once would save (e.g. parse5,entities); --bundle-dir reuses a `--outdir` build with index.js.map.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";

const root = path.join(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    detail: { type: "string" },
    top: { type: "string", default: "40" },
    json: { type: "boolean", default: false },
    "bundle-dir": { type: "string" },
    together: { type: "string", multiple: true, default: [] },
  },
});

/** Builds the bundle like `wrangler deploy --dry-run`, with its source map and metafile; answers the dir. */
function build(outdir) {
  const wranglerJs = path.join(root, "node_modules/wrangler/bin/wrangler.js");
  const args = ["deploy", "--dry-run", "--outdir", outdir, "--metafile", path.join(outdir, "meta.json")];
  const out = spawnSync(process.execPath, [wranglerJs, ...args, "--upload-source-maps"], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    encoding: "utf8",
  });
  if (out.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${out.stdout}\n${out.stderr}`);
  return /Total Upload: .*/.exec(out.stdout)?.[0] ?? "";
}

const VLQ = new Map([..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].map((c, i) => [c, i]));

/** The source map's segments as [line, column, source index | -1], in output order. */
function segments(mappings) {
  const result = [];
  let source = 0;
  const lines = mappings.split(";");
  for (let line = 0; line < lines.length; line++) {
    let column = 0;
    for (const segment of lines[line].split(",")) {
      if (!segment) continue;
      const fields = [];
      let value = 0;
      let shift = 0;
      for (const c of segment) {
        const digit = VLQ.get(c);
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
        } else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += fields[0];
      if (fields.length > 1) source += fields[1];
      result.push([line, column, fields.length > 1 ? source : -1]);
    }
  }
  return result;
}

/** Package name of a path inside node_modules (the innermost one), else undefined. */
function packageOf(file) {
  const at = file.lastIndexOf("node_modules/");
  if (at < 0) return undefined;
  const parts = file.slice(at + "node_modules/".length).split("/");
  return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
}

/**
 * Absolute source path -> package, for the sources that packages' own source maps name: esbuild follows an
 * input's `//# sourceMappingURL`, so the bundle's map may name `node_modules/src/entity.ts` (drizzle-orm's
 * `../src/entity.ts`), which is no package path.
 */
function sourcesOfPackageMaps(meta) {
  const owner = new Map();
  for (const input of Object.keys(meta.inputs)) {
    const pkg = packageOf(input);
    const file = path.resolve(root, input);
    if (!pkg || !existsSync(file)) continue;
    const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(file, "utf8"))?.[1];
    if (!url || url.startsWith("data:")) continue;
    const mapFile = path.resolve(path.dirname(file), url);
    if (!existsSync(mapFile)) continue;
    const map = JSON.parse(readFileSync(mapFile, "utf8"));
    for (const s of map.sources) owner.set(path.resolve(path.dirname(mapFile), map.sourceRoot ?? "", s), pkg);
  }
  return owner;
}

/** Group of one source: its package, or for our code its area (src/<dir>/<feature>, file extension dropped). */
function groupOf(absolute, owner) {
  const pkg = owner.get(absolute) ?? packageOf(absolute);
  if (pkg) return pkg;
  const relative = path.relative(root, absolute).split(path.sep).join("/");
  if (!relative.startsWith("src/")) return relative;
  return relative
    .split("/")
    .slice(0, 3)
    .join("/")
    .replace(/\.tsx?$/, "");
}

/** File key within a group for --detail (path inside the package, or the file under src/). */
function fileOf(absolute) {
  const relative = path.relative(root, absolute).split(path.sep).join("/");
  const at = relative.lastIndexOf("node_modules/");
  return at < 0 ? relative : relative.slice(at + "node_modules/".length);
}

const gz = (s) => gzipSync(Buffer.from(s, "utf8")).length;
const kib = (n) => (n / 1024).toFixed(1);

function measure(dir) {
  const code = readFileSync(path.join(dir, "index.js"), "utf8");
  const map = JSON.parse(readFileSync(path.join(dir, "index.js.map"), "utf8"));
  const meta = JSON.parse(readFileSync(path.join(dir, "meta.json"), "utf8"));
  const owner = sourcesOfPackageMaps(meta);
  const sources = map.sources.map((s) => path.resolve(dir, map.sourceRoot ?? "", s));
  const detailOf = (i) => {
    if (i < 0) return { group: "(glue)", file: "(glue)" };
    const group = groupOf(sources[i], owner);
    return { group, file: values.detail === group ? fileOf(sources[i]) : group };
  };
  const keyOf = sources.map((_, i) => detailOf(i));

  // Characters of the output, per group, as [start, end) ranges in output order.
  const lineStarts = [0];
  for (let i = 0; i < code.length; i++) if (code[i] === "\n") lineStarts.push(i + 1);
  const segs = segments(map.mappings);
  const ranges = new Map();
  const add = (key, start, end) => {
    if (end <= start) return;
    if (!ranges.has(key)) ranges.set(key, []);
    ranges.get(key).push([start, end]);
  };
  let previousEnd = 0;
  for (let k = 0; k < segs.length; k++) {
    const [line, column, source] = segs[k];
    const start = lineStarts[line] + column;
    const next = segs[k + 1];
    const lineEnd = line + 1 < lineStarts.length ? lineStarts[line + 1] : code.length;
    const end = next && next[0] === line ? lineStarts[next[0]] + next[1] : lineEnd;
    add("(glue)", previousEnd, start);
    const { group, file } = source < 0 ? { group: "(glue)", file: "(glue)" } : keyOf[source];
    add(values.detail ? file : group, start, end);
    previousEnd = end;
  }
  add("(glue)", previousEnd, code.length);

  const total = gz(code);
  /** gzip(bundle) - gzip(bundle with these ranges cut out). */
  const savedBy = (rs) => {
    let rest = "";
    let at = 0;
    for (const [s, e] of [...rs].sort((a, b) => a[0] - b[0])) {
      rest += code.slice(at, s);
      at = e;
    }
    return total - gz(rest + code.slice(at));
  };
  const rows = [...ranges.entries()].map(([name, rs]) => {
    const own = rs.map(([s, e]) => code.slice(s, e)).join("");
    return { name, raw: Buffer.byteLength(own), gzip: gz(own), saved: savedBy(rs) };
  });
  const sets = [
    { name: "all of src/", test: (n) => n.startsWith("src/") },
    { name: "all packages", test: (n) => !n.startsWith("src/") && n !== "(glue)" },
    ...values.together.map((list) => {
      const names = new Set(list.split(","));
      return { name: [...names].join(" + "), test: (n) => names.has(n) };
    }),
  ];
  const combined = sets.map(({ name, test }) => {
    const rs = [...ranges.entries()].filter(([n]) => test(n)).flatMap(([, r]) => r);
    const own = rs.map(([s, e]) => code.slice(s, e)).join("");
    return { name, raw: Buffer.byteLength(own), gzip: gz(own), saved: savedBy(rs) };
  });
  if (values.detail) {
    const inGroup = new Set(keyOf.filter((k) => k.group === values.detail).map((k) => k.file));
    const other = rows.filter((r) => !inGroup.has(r.name));
    const kept = rows.filter((r) => inGroup.has(r.name));
    const others = { name: "(everything else)", raw: other.reduce((a, r) => a + r.raw, 0), gzip: NaN, saved: NaN };
    return { total, raw: Buffer.byteLength(code), rows: [...kept, others], combined: [] };
  }
  return { total, raw: Buffer.byteLength(code), rows, combined };
}

function print({ total, raw, rows, combined }, built) {
  rows.sort((a, b) => b.raw - a.raw);
  if (values.json) {
    console.log(JSON.stringify({ raw, gzip: total, rows, combined }, null, 2));
    return;
  }
  if (built) console.log(`wrangler: ${built}`);
  const width = Math.max(28, ...rows.map((r) => r.name.length));
  const line = (name, r, g, s) => `${name.padEnd(width)} ${r.padStart(8)} ${g.padStart(8)} ${s.padStart(8)}`;
  console.log(line("group", "raw KiB", "gzip KiB", "saved KiB"));
  for (const r of rows.slice(0, Number(values.top))) {
    console.log(
      line(r.name, kib(r.raw), Number.isNaN(r.gzip) ? "" : kib(r.gzip), Number.isNaN(r.saved) ? "" : kib(r.saved)),
    );
  }
  if (rows.length > Number(values.top)) {
    const rest = rows.slice(Number(values.top));
    console.log(line(`(${rest.length} more)`, kib(rest.reduce((a, r) => a + r.raw, 0)), "", ""));
  }
  for (const r of combined) console.log(line(r.name, kib(r.raw), kib(r.gzip), kib(r.saved)));
  console.log(line("total bundle", kib(raw), kib(total), ""));
}

const dir = values["bundle-dir"]
  ? path.resolve(values["bundle-dir"])
  : mkdtempSync(path.join(tmpdir(), "bundle-size-"));
try {
  const built = values["bundle-dir"] ? "" : build(dir);
  print(measure(dir), built);
} finally {
  if (!values["bundle-dir"]) rmSync(dir, { recursive: true, force: true });
}
