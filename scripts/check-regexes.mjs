#!/usr/bin/env node
/**
 * ReDoS audit of every regular expression in src/: finds each regex literal and each `RegExp(...)` /
 * `new RegExp(...)` call in src/**\/*.ts by walking the TypeScript AST (never by pattern-matching the
 * source), and runs recheck (https://makenowjust-labs.github.io/recheck/) on it. Exits 1, printing
 * `file:line`, the pattern and recheck's attack string, when any regex is `vulnerable`, when recheck cannot
 * decide (`unknown`) and the regex is not in ALLOW_UNKNOWN below, or when a `RegExp` call builds its pattern
 * at run time (recheck cannot check what it cannot see) and is not in ALLOW_DYNAMIC.
 *
 * Usage: node scripts/check-regexes.mjs [--verbose]   (part of `npm run check`)
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { check } from "recheck";
import ts from "typescript";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const srcDir = path.join(root, "src");
const verbose = process.argv.includes("--verbose");

/**
 * Regexes recheck reports as `unknown` that were reviewed by hand, keyed `file|/source/flags`. Each entry
 * must say why the regex is safe. Empty: today every regex in src/ is decided `safe`.
 */
const ALLOW_UNKNOWN = new Map([
  // ["src/example.ts|/^(a|b)*$/", "why it is linear, and what bounds its input"],
]);

/** `RegExp` calls whose pattern is built at run time, keyed `file:line`, each with why it is safe. */
const ALLOW_DYNAMIC = new Map([
  // ["src/example.ts:12", "escaped literal text only (no quantifiers come from input)"],
]);

/** Generous limits: the check runs in CI, not per request. */
const PARAMS = { timeout: 30_000, attackTimeout: 2_000 };

function* tsFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    // A room's tests (src/features/<room>/test/) never run in the Worker; their regexes read test output only.
    if (entry.isDirectory() && entry.name === "test") continue;
    if (entry.isDirectory()) yield* tsFiles(full);
    else if (entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) yield full;
  }
}

/** The text of a string-like expression whose value is fixed at compile time, else undefined. */
function constantString(node) {
  if (!node) return undefined;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isParenthesizedExpression(node)) return constantString(node.expression);
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const left = constantString(node.left);
    const right = constantString(node.right);
    return left === undefined || right === undefined ? undefined : left + right;
  }
  return undefined;
}

/** Every regex of one file: `{ line, source, flags }` or `{ line, dynamic: true, text }`. */
function regexesOf(file) {
  const text = readFileSync(file, "utf8");
  const sourceFile = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found = [];
  const lineOf = (node) => sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1;
  const visit = (node) => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const literal = node.getText(sourceFile);
      const end = literal.lastIndexOf("/");
      found.push({ line: lineOf(node), source: literal.slice(1, end), flags: literal.slice(end + 1) });
    } else if (
      (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === "RegExp"
    ) {
      const [patternArg, flagsArg] = node.arguments ?? [];
      const source = constantString(patternArg);
      const flags = flagsArg === undefined ? "" : constantString(flagsArg);
      if (source === undefined || flags === undefined) {
        found.push({ line: lineOf(node), dynamic: true, text: node.getText(sourceFile).slice(0, 120) });
      } else {
        found.push({ line: lineOf(node), source, flags });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found;
}

const printable = (s) => JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}...` : s);

async function main() {
  const failures = [];
  let checked = 0;
  for (const file of [...tsFiles(srcDir)].sort()) {
    const rel = path.relative(root, file).split(path.sep).join("/");
    for (const regex of regexesOf(file)) {
      const where = `${rel}:${regex.line}`;
      if (regex.dynamic) {
        if (!ALLOW_DYNAMIC.has(where))
          failures.push(`${where}: RegExp with a pattern built at run time: ${regex.text}`);
        continue;
      }
      checked++;
      const shown = `/${regex.source}/${regex.flags}`;
      const result = await check(regex.source, regex.flags, PARAMS);
      if (verbose) console.log(`${where}\t${result.status}\t${shown}`);
      if (result.status === "vulnerable") {
        failures.push(
          `${where}: ${shown} is vulnerable (${result.complexity.summary}); attack string: ` +
            `${printable(result.attack.string)} (pattern ${result.attack.pattern})`,
        );
      } else if (result.status === "unknown" && !ALLOW_UNKNOWN.has(`${rel}|${shown}`)) {
        failures.push(
          `${where}: ${shown}: recheck could not decide (${result.error.kind}); rewrite it or allow-list it`,
        );
      }
    }
  }
  if (failures.length > 0) {
    console.error(`check-regexes: ${failures.length} problem(s) in ${checked} regexes:\n${failures.join("\n")}`);
    process.exit(1);
  }
  console.log(`check-regexes: ${checked} regexes in src/ are safe`);
}

await main();
