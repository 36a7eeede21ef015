// wrangler.toml [vars] and the config module (src/lib/config.ts) must agree: every var the schema knows
// (secrets aside) is listed with the schema's default, and wrangler.toml lists no var the Worker never reads.
import { unstable_readConfig } from "wrangler";
import { appConfig, CONFIG_SECRETS, ConfigSchema } from "../src/lib/config.ts";

const vars = unstable_readConfig({ config: "wrangler.toml" }, { hideWarnings: true }).vars ?? {};
const defaults = appConfig({});
const problems = [];
for (const name of Object.keys(ConfigSchema.shape)) {
  if (CONFIG_SECRETS.includes(name)) {
    if (name in vars) problems.push(`${name} is a secret: set it with \`wrangler secret put\`, not in [vars]`);
    continue;
  }
  if (!(name in vars)) {
    problems.push(`${name} is missing from wrangler.toml [vars]`);
    continue;
  }
  const listed = appConfig({ [name]: vars[name] })[name];
  if (JSON.stringify(listed) !== JSON.stringify(defaults[name])) {
    problems.push(
      `${name}: wrangler.toml says ${JSON.stringify(vars[name])}, the config module's default is ${JSON.stringify(defaults[name])}`,
    );
  }
}
for (const name of Object.keys(vars)) {
  if (!(name in ConfigSchema.shape)) problems.push(`${name} is in wrangler.toml [vars] but not in src/lib/config.ts`);
}
if (problems.length) {
  console.error(`config: wrangler.toml [vars] and src/lib/config.ts disagree:\n- ${problems.join("\n- ")}`);
  process.exit(1);
}
console.log(
  `config: wrangler.toml [vars] match the ${Object.keys(ConfigSchema.shape).length} vars of src/lib/config.ts`,
);
