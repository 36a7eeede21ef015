// `npm run test:scripts` (node --test): check-comments.mjs against a throwaway tree, so what it flags (tracker
// references in comments and strings) and what it lets through (the words in ordinary use) is checked on
// known input. The references are built at run time so this file does not trip the check itself.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("check-comments.mjs", import.meta.url));
const ref = (word, number) => `${word} ${number}`;

/** A tree of files (relative path -> content) in a new temporary directory; returns the script's result on it. */
function checkTree(files) {
  const dir = mkdtempSync(path.join(tmpdir(), "check-comments-"));
  for (const [relative, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    writeFileSync(path.join(dir, relative), content);
  }
  const { status, stdout, stderr } = spawnSync(process.execPath, [script, dir], { encoding: "utf8" });
  return { status, stdout, stderr };
}

test("a tree without tracker references passes, the words in ordinary use included", () => {
  const { status, stdout } = checkTree({
    "src/app.ts": "// The issue here is that a finding of the audit must hold for 12 hours.\nexport const a = 1;\n",
    "test/app.test.ts": 'it("reports the issue and the findings", () => {});\n',
    "bench/run.mjs": "// Each call issues the request again.\n",
    "scripts/tool.cjs": "module.exports = {};\n",
  });
  assert.equal(status, 0);
  assert.match(stdout, /no tracker references in the 4 files/);
});

test("every tracker reference in a comment or string fails the check with its file:line", () => {
  const { status, stderr } = checkTree({
    "src/lib/a.ts": `export const a = 1;\n// ${ref("Issue", 12)}: the import stores whole bodies.\n`,
    "test/unit/b.test.ts": `describe("bounds (${ref("issue", "8")}, ${ref("finding", 3)})", () => {});\n`,
    "bench/c.bench.ts": `/** ${ref("issue", "#10")} */\n`,
    "scripts/d.mjs": `\n\n// ${ref("findings", 1)} and 4\n`,
    "scripts/e.cjs": `// ${ref("ISSUE", 7)}\n`,
  });
  assert.equal(status, 1);
  for (const location of [
    "src/lib/a.ts:2:",
    "test/unit/b.test.ts:1:",
    "bench/c.bench.ts:1:",
    "scripts/d.mjs:3:",
    "scripts/e.cjs:1:",
  ]) {
    assert.ok(stderr.includes(`- ${location}`), `${location} listed in:\n${stderr}`);
  }
  assert.match(stderr, /5 tracker reference\(s\)/);
});

test("node_modules and files other than .ts/.mjs/.cjs are not read", () => {
  const { status } = checkTree({
    "src/node_modules/dep/index.ts": `// ${ref("issue", 1)}\n`,
    "src/notes.md": `${ref("issue", 2)}\n`,
    "test/data.json": `{"title": "${ref("issue", 3)}"}\n`,
    "src/ok.ts": "export {};\n",
  });
  assert.equal(status, 0);
});
