// Shared by the sanitizer benches: a git ref's (or the working tree's) sanitizer, bundled with esbuild into one
// ESM file as wrangler bundles it (`@/` is that tree's src/, its wrangler.toml [alias] table applies).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";

export const root = path.join(import.meta.dirname, "..");
export const ENTRY = "src/shared/html-sanitizer/index.ts";

/** wrangler.toml's [alias] table (`"specifier" = "./target"` lines), as wrangler matches it: exact specifiers. */
function aliasTable(treeRoot) {
  const file = path.join(treeRoot, "wrangler.toml");
  if (!existsSync(file)) return new Map();
  const aliases = new Map();
  let inAlias = false;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const table = /^\s*\[([^\]]*)\]/.exec(line);
    if (table) inAlias = table[1].trim() === "alias";
    const entry = inAlias ? /^\s*"([^"]+)"\s*=\s*"([^"]+)"/.exec(line) : null;
    if (entry) aliases.set(entry[1], path.join(treeRoot, entry[2]));
  }
  return aliases;
}

/** esbuild plugin: `@/x` is the tree's src/x, and wrangler.toml's aliases of that tree apply. */
function treePlugin(treeRoot) {
  const aliases = aliasTable(treeRoot);
  const escaped = [...aliases.keys()].map((key) => key.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
  return {
    name: "sanitizer-tree",
    setup(build) {
      build.onResolve({ filter: /^@\// }, (args) =>
        build.resolve(`./${args.path.slice(2)}`, { kind: args.kind, resolveDir: path.join(treeRoot, "src") }),
      );
      if (escaped.length === 0) return;
      build.onResolve({ filter: new RegExp(`^(${escaped.join("|")})$`) }, (args) => ({ path: aliases.get(args.path) }));
    },
  };
}

/** The tree at `ref` (src/ and wrangler.toml), extracted under `dir` by `git archive`; answers its root. */
export function materialize(ref, dir) {
  mkdirSync(dir, { recursive: true });
  const files = ["src", "wrangler.toml"].filter((file) => {
    try {
      execFileSync("git", ["cat-file", "-e", `${ref}:${file}`], { cwd: root, stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  });
  const tar = execFileSync("git", ["archive", "--format=tar", ref, ...files], { cwd: root, maxBuffer: 1 << 30 });
  execFileSync("tar", ["-x", "-C", dir], { input: tar });
  return dir;
}

export async function bundle(treeRoot, outfile) {
  const { build } = await import("esbuild");
  await build({
    entryPoints: [path.join(treeRoot, ENTRY)],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node22",
    nodePaths: [path.join(root, "node_modules")],
    plugins: [treePlugin(treeRoot)],
    logLevel: "error",
  });
  return outfile;
}

export function describeRef(ref) {
  return execFileSync("git", ["rev-parse", "--short", `${ref}^{commit}`], { cwd: root, encoding: "utf8" }).trim();
}
