// What the Worker runs at startup (module load, which `wrangler check startup` profiles and the platform
// bounds) is src/index.ts and what it imports statically; everything else is `import()`ed on first use.
// This check bundles src/index.ts with code splitting, so the entry chunk holds exactly the statically
// reachable modules, and fails when one of the heavy ones (the app, the config schema, zod, drizzle,
// parse5) is among them again: a static import added in the wrong place would quietly undo the lazy loading.
import path from "node:path";
import { build } from "esbuild";

const root = path.join(import.meta.dirname, "..");
const FORBIDDEN_AT_STARTUP = [
  /^src\/app\.ts$/,
  /^src\/lib\/config\.ts$/,
  /^src\/features\/[^/]+\/[^/]+\.(routes|router|handlers|schemas)\.ts$/,
  /node_modules\/(zod|@hono\/zod-openapi|drizzle-orm|parse5|hono)\//,
];

const result = await build({
  absWorkingDir: root,
  entryPoints: ["src/index.ts"],
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "neutral",
  mainFields: ["module", "main"],
  conditions: ["workerd", "worker", "import"],
  outdir: "startup-check-out",
  write: false,
  metafile: true,
  external: ["cloudflare:*", "node:*"],
  logLevel: "error",
});
// The entry chunk and every chunk it imports statically (shared chunks hold modules that both the entry and a
// lazily loaded part import); dynamic imports are not followed.
const outputs = result.metafile.outputs;
const entryName = Object.keys(outputs).find((name) => outputs[name].entryPoint === "src/index.ts");
const loaded = new Set();
const pending = [entryName];
while (pending.length > 0) {
  const name = pending.pop();
  if (!name || loaded.has(name)) continue;
  loaded.add(name);
  for (const dependency of outputs[name].imports) {
    if (dependency.kind === "import-statement" && !dependency.external) pending.push(dependency.path);
  }
}
const atStartup = [...loaded].flatMap((name) => Object.keys(outputs[name].inputs));
const offending = atStartup.filter((input) => FORBIDDEN_AT_STARTUP.some((pattern) => pattern.test(input)));
if (offending.length > 0) {
  console.error(
    `startup: src/index.ts statically imports modules that should load on first use (import() them instead):\n- ${offending
      .slice(0, 12)
      .join("\n- ")}${offending.length > 12 ? `\n  ... and ${offending.length - 12} more` : ""}`,
  );
  process.exit(1);
}
console.log(
  `startup: src/index.ts loads ${atStartup.length} modules at startup (${atStartup.join(", ")}), none of the heavy ones`,
);
