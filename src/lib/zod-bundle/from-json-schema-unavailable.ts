/**
 * What the bundle gets for zod's `classic/from-json-schema.js` (wrangler.toml `[alias]`): the Worker
 * builds its schemas in code and never converts JSON Schema into zod, so `z.fromJSONSchema` (~12 KiB,
 * kept only because zod's namespace re-exports it) is left out and says so if it is ever called.
 */
export function fromJSONSchema(): never {
  throw new Error("zod's fromJSONSchema is not part of the Worker bundle (wrangler.toml [alias])");
}
