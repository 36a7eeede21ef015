// wrangler.toml [vars] and the config module (src/lib/config.ts) must agree: every var the schema knows
// (secrets aside) is listed with the schema's default, and wrangler.toml lists no var the Worker never reads.
// Its [[queues.consumers]] must be the queues src/entry/queue-table.ts has a consumer for, with the same
// max_retries and dead_letter_queue (the entry layer gives up on the last attempt by that count).
import { unstable_readConfig } from "wrangler";
import { QUEUES } from "../src/entry/queue-table.ts";
import { appConfig, CONFIG_SECRETS, ConfigSchema } from "../src/lib/config.ts";

const wrangler = unstable_readConfig({ config: "wrangler.toml" }, { hideWarnings: true });
const vars = wrangler.vars ?? {};
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
const consumers = new Map((wrangler.queues?.consumers ?? []).map((consumer) => [consumer.queue, consumer]));
for (const [name, policy] of Object.entries(QUEUES)) {
  const consumer = consumers.get(name);
  if (!consumer) {
    problems.push(`queue ${name} has a consumer in src/entry/queue-table.ts but none in wrangler.toml`);
    continue;
  }
  if (consumer.max_retries !== policy.maxRetries) {
    problems.push(
      `queue ${name}: wrangler.toml max_retries ${consumer.max_retries}, queue-table.ts ${policy.maxRetries}`,
    );
  }
  if ((consumer.dead_letter_queue ?? undefined) !== (policy.deadLetterQueue ?? undefined)) {
    problems.push(
      `queue ${name}: wrangler.toml dead_letter_queue ${consumer.dead_letter_queue}, queue-table.ts ${policy.deadLetterQueue}`,
    );
  }
}
for (const name of consumers.keys()) {
  if (!Object.hasOwn(QUEUES, name))
    problems.push(`queue ${name} is consumed in wrangler.toml but has no consumer in src/entry/queue-table.ts`);
}
if (problems.length) {
  console.error(`config: wrangler.toml disagrees with the Worker:\n- ${problems.join("\n- ")}`);
  process.exit(1);
}
console.log(
  `config: wrangler.toml [vars] match the ${Object.keys(ConfigSchema.shape).length} vars of src/lib/config.ts, ` +
    `its ${consumers.size} queue consumers those of src/entry/queue-table.ts`,
);
