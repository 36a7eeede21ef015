#!/usr/bin/env node
// `npm run docs:assets` (also run before `npm start`, `npm test`, `npm run test:browser` and `npm run deploy`):
// copies the standalone browser bundle of @scalar/api-reference, at the exact version package.json pins,
// from node_modules into public/ (the Worker's static assets), where `/docs` loads it from this Worker
// instead of a CDN. The copy is generated (git-ignored), so a fresh clone needs only `npm ci`.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE = "@scalar/api-reference";
const BUNDLE = "dist/browser/standalone.js";
const root = fileURLToPath(new URL("..", import.meta.url));
/** Served by the Worker as DOCS_BUNDLE_PATH (src/lib/configure-openapi.ts): keep the two in step. */
const target = path.join(root, "public", "docs", "scalar", "standalone.js");

function fail(message) {
  console.error(`docs:assets: ${message}`);
  process.exit(1);
}

const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const pinned = manifest.devDependencies?.[PACKAGE] ?? manifest.dependencies?.[PACKAGE];
if (pinned === undefined)
  fail(`package.json lists no ${PACKAGE}; add it: \`npm install -D --save-exact ${PACKAGE}@<version>\``);

/** The installed package's folder (its exports name no package.json, so walk up from its entry point). */
function packageDir() {
  let entry;
  try {
    entry = createRequire(path.join(root, "package.json")).resolve(PACKAGE);
  } catch {
    fail(`${PACKAGE} is not installed; run \`npm ci\` (package.json pins it at ${pinned})`);
  }
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === PACKAGE) return dir;
  }
  fail(`cannot find the package.json of ${PACKAGE} above ${entry}`);
}

const dir = packageDir();
const installed = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).version;
if (pinned !== installed) {
  fail(
    `package.json must pin ${PACKAGE} to the exact installed version ${installed} (it says ${pinned}); ` +
      `run \`npm install -D --save-exact ${PACKAGE}@${installed}\` or \`npm ci\``,
  );
}

const source = path.join(dir, BUNDLE);
if (!existsSync(source)) fail(`${PACKAGE}@${installed} has no ${BUNDLE}; its layout changed, see README "API docs"`);
const digest = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");
const relative = path.relative(root, target);
if (existsSync(target) && digest(target) === digest(source)) {
  console.log(`docs:assets: ${relative} is ${PACKAGE}@${installed}`);
} else {
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(source, target);
  console.log(`docs:assets: copied ${PACKAGE}@${installed} ${BUNDLE} to ${relative}`);
}
