import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Reads the checked-in `.dev.vars.example` (KEY=VALUE lines) shared by `npm start` and `npm run token`. */
export function readDevVars() {
  const file = fileURLToPath(new URL("../.dev.vars.example", import.meta.url));
  const vars = {};
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/.exec(line);
    if (match) vars[match[1]] = match[2].replace(/^"(.*)"$/, "$1");
  }
  return vars;
}
