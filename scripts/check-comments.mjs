// Comments and strings say why, never which tracker entry a change came from: a reference like the word
// "issue" or "finding" followed by a number means nothing to a reader of the code and goes stale. This check
// reads every .ts/.mjs/.cjs file under src/, test/, bench/ and scripts/ (node_modules aside) and fails,
// listing file:line, on each such reference. The words alone, without a number, are fine.
//
// Usage: node scripts/check-comments.mjs [root]   (part of `npm run check`; root defaults to the repository)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, ".."));
const SCANNED_DIRS = ["src", "test", "bench", "scripts"];
const SCANNED_EXTENSIONS = [".ts", ".mjs", ".cjs"];
/** A tracker word in any case, optionally plural, then a number, optionally after `#` and spaces. */
const TRACKER_REFERENCE = /\b(issue|finding)s?\s*#?\d+/i;

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(full);
    else if (entry.isFile() && SCANNED_EXTENSIONS.some((extension) => entry.name.endsWith(extension))) yield full;
  }
}

/** Every line of one file that names a tracker entry, as `file:line: text`. */
function trackerReferencesOf(file) {
  const relative = path.relative(root, file).split(path.sep).join("/");
  return readFileSync(file, "utf8")
    .split("\n")
    .flatMap((text, index) =>
      TRACKER_REFERENCE.test(text) ? [`${relative}:${index + 1}: ${text.trim().slice(0, 140)}`] : [],
    );
}

const files = SCANNED_DIRS.map((dir) => path.join(root, dir))
  .filter((dir) => existsSync(dir))
  .flatMap((dir) => [...sourceFiles(dir)]);
const found = files.flatMap(trackerReferencesOf);
if (found.length > 0) {
  console.error(
    `comments: ${found.length} tracker reference(s); say what the code does and why instead of which issue or finding it came from:\n- ${found.join("\n- ")}`,
  );
  process.exit(1);
}
console.log(`comments: no tracker references in the ${files.length} files of ${SCANNED_DIRS.join("/, ")}/`);
