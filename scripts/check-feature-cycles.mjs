// Features (src/features/<feature>/) depend on each other one way only: no feature reaches back, directly or
// through others, into a feature that depends on it. dependency-cruiser's own cycle rule sees modules, and a
// folder cycle need not be a module cycle (a1 -> B's index -> b1 -> A's index -> a2), so this check folds the
// module graph dependency-cruiser computes into a graph of features and fails on any cycle in it.
import { execFileSync } from "node:child_process";
import path from "node:path";

const root = path.join(import.meta.dirname, "..");
// Run with this Node (the project's), not whatever `node` the depcruise script's shebang finds first.
const cruiser = path.join(root, "node_modules", "dependency-cruiser", "bin", "dependency-cruiser.mjs");
const args = [cruiser, "src", "--config", ".dependency-cruiser.cjs", "--output-type", "json"];
const json = execFileSync(process.execPath, args, {
  cwd: root,
  encoding: "utf8",
  maxBuffer: 1 << 28,
});
const featureOf = (file) => /^src\/features\/([^/]+)\//.exec(file)?.[1];

/** feature -> feature -> one module edge that makes it (for the message). */
const edges = new Map();
for (const module of JSON.parse(json).modules) {
  const from = featureOf(module.source);
  if (!from) continue;
  for (const dependency of module.dependencies) {
    const to = featureOf(dependency.resolved);
    if (!to || to === from) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from).has(to)) edges.get(from).set(to, `${module.source} -> ${dependency.resolved}`);
  }
}

/** Every cycle, each once, as its list of features (depth-first search from each feature). */
function cycles() {
  const found = new Map();
  const walk = (start, at, trail) => {
    for (const next of edges.get(at)?.keys() ?? []) {
      if (next === start) {
        const cycle = [...trail];
        const key = [...cycle].sort().join(",");
        if (!found.has(key)) found.set(key, cycle);
      } else if (!trail.includes(next) && next > start) {
        walk(start, next, [...trail, next]);
      }
    }
  };
  for (const feature of [...edges.keys()].sort()) walk(feature, feature, [feature]);
  return [...found.values()];
}

const problems = cycles().map((cycle) => {
  const steps = cycle.map((feature, i) => edges.get(feature).get(cycle[(i + 1) % cycle.length]));
  return `${[...cycle, cycle[0]].join(" -> ")}\n    ${steps.join("\n    ")}`;
});
if (problems.length > 0) {
  console.error(`features: the features of src/features depend on each other in a cycle:\n- ${problems.join("\n- ")}`);
  process.exit(1);
}
const count = [...edges.values()].reduce((sum, targets) => sum + targets.size, 0);
console.log(`features: ${count} dependencies between the features of src/features, no cycle`);
