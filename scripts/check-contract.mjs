// The conformance tests read test/contract/email-settings.openapi.json, a copy of the shared contract
// (../shared/spec/email-settings.openapi.json), because workerd has no filesystem and a clone may come
// without ../shared. Where the shared contract is present, the copy must equal it.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const copy = fileURLToPath(new URL("../test/contract/email-settings.openapi.json", import.meta.url));
const shared = fileURLToPath(new URL("../../shared/spec/email-settings.openapi.json", import.meta.url));

if (!existsSync(shared)) {
  console.log(`contract: ${shared} not present; using the copy in test/contract`);
} else if (
  JSON.stringify(JSON.parse(readFileSync(shared, "utf8"))) !== JSON.stringify(JSON.parse(readFileSync(copy, "utf8")))
) {
  console.error(
    `contract: test/contract/email-settings.openapi.json differs from ${shared}; copy it over and rerun the tests`,
  );
  process.exit(1);
} else {
  console.log("contract: test/contract copy equals the shared contract");
}
