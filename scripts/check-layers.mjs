// Two layering rules dependency-cruiser cannot see, because they are about what code does, not what it imports:
// - Below the entry layer nothing reads `env`: the bindings reach the features only as the Services object
//   (src/lib/services.ts) that src/entry/services.ts builds, so a service's parameters say what it touches.
// - Database access lives only in stores: files named `<table>.store.ts` or under src/db/, so each table's
//   statements are found in one place. Outside them no raw SQL (`.prepare(`, drizzle's sql`...`, sql.raw) and
//   no query built on a database handle (`db.select(`, `services.db.insert(`, `tx.update(`, ...); a service may
//   still run the statements stores build together, in one `db.batch` (a transaction across tables).
// Tests (src/features/<room>/test/) are not checked.
//
// Usage: node scripts/check-layers.mjs [root]   (part of `npm run check`; root defaults to the repository)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, ".."));

/** Entry points: the platform hands them `env` (the Worker's handlers, the app and its middlewares). */
const ENV_READERS = [
  /^src\/index\.ts$/,
  /^src\/app\.ts$/,
  /^src\/entry\//,
  /^src\/middlewares\//,
  // The config and key rules parse env for the services builder; the Hono types name the bindings.
  /^src\/lib\/(config|token-keys|types|configure-openapi)\.ts$/,
  // A Durable Object class is constructed by the platform with env: an entry point of its own.
  /^src\/features\/mailboxes\/sync\/sync-lock\.ts$/,
  /\.d\.ts$/,
];
const READS_ENV = [
  /\bAppEnv\b/,
  /\bc\.env\b/,
  /\benv\??\.[A-Z][A-Z0-9_]*\b/,
  /\benv\[/,
  /\bthis\.env\b/,
  /\bappConfig\(/,
  // `const { DB } = env` and the module-level env of cloudflare:workers.
  /\}\s*=\s*(?:c\.|this\.)?env\b/,
  /import\s*\{[^}]*\benv\b[^}]*\}\s*from\s*["']cloudflare:workers["']/,
];

const SQL_HOMES = [/\.store\.ts$/, /^src\/db\//];
const RAW_SQL = [/\.prepare\(/, /\bsql(?:<[^>`]*>)?`/, /\bsql\.raw\(/];
/** A query on a database handle, the call possibly on the next line (`db\n  .select(`). */
const DB_QUERY = /\b(?:db|tx|d1)\s*\.\s*(?:select|selectDistinct|insert|update|delete|run|all|get|values|query)\b/g;

const isTest = (file) => /^src\/features\/[^/]+\/test\//.test(file);

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(full);
    else if (entry.isFile() && entry.name.endsWith(".ts")) yield full;
  }
}

/** Code lines only: a comment that mentions env or a statement is not a use of it. */
const isComment = (line) => /^\s*(\/\/|\*|\/\*)/.test(line);

export function checkLayers(rootDir) {
  const problems = [];
  const src = path.join(rootDir, "src");
  if (!existsSync(src)) return problems;
  for (const full of sourceFiles(src)) {
    const file = path.relative(rootDir, full).split(path.sep).join("/");
    if (isTest(file)) continue;
    const lines = readFileSync(full, "utf8").split("\n");
    const envAllowed = ENV_READERS.some((pattern) => pattern.test(file));
    const sqlAllowed = SQL_HOMES.some((pattern) => pattern.test(file));
    if (!sqlAllowed) {
      const code = lines.map((line) => (isComment(line) ? "" : line)).join("\n");
      for (const match of code.matchAll(DB_QUERY)) {
        const lineIndex = code.slice(0, match.index).split("\n").length - 1;
        const where = `${file}:${lineIndex + 1}: ${lines[lineIndex]?.trim().slice(0, 120)}`;
        problems.push(`database query outside a store (move it into <table>.store.ts): ${where}`);
      }
    }
    lines.forEach((line, index) => {
      if (isComment(line)) return;
      const where = `${file}:${index + 1}: ${line.trim().slice(0, 120)}`;
      if (!envAllowed && READS_ENV.some((pattern) => pattern.test(line))) {
        problems.push(`reads env below the entry layer (take Services instead): ${where}`);
      }
      if (!sqlAllowed && RAW_SQL.some((pattern) => pattern.test(line))) {
        problems.push(`raw SQL outside a store (move it into <table>.store.ts): ${where}`);
      }
    });
  }
  return problems;
}

if (import.meta.main ?? process.argv[1] === import.meta.filename) {
  const problems = checkLayers(root);
  if (problems.length > 0) {
    console.error(`layers: ${problems.length} problem(s):\n- ${problems.join("\n- ")}`);
    process.exit(1);
  }
  console.log("layers: no env below the entry layer, no SQL or query outside the stores");
}
