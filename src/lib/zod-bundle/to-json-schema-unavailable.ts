/**
 * What the bundle gets for zod's `core/to-json-schema.js` and `core/json-schema-generator.js`
 * (wrangler.toml `[alias]`): the engine of zod's JSON Schema converter (~3 KiB gzip), which the Worker never
 * runs (see json-schema-processors-checks-only.ts). The two method factories are called when a schema's
 * `~standard` is read (validators read it), so they still answer functions; only calling those throws.
 */
const unavailable = (): never => {
  throw new Error("zod's JSON Schema converter is not part of the Worker bundle (wrangler.toml [alias])");
};

export const initializeContext = unavailable;
export const handleUnrepresentable = unavailable;
export const processSchema = unavailable;
export { processSchema as process };
export const extractDefs = unavailable;
export const finalize = unavailable;
export const createToJSONSchemaMethod = () => unavailable;
export const createStandardJSONSchemaMethod = () => unavailable;

export class JSONSchemaGenerator {
  constructor() {
    unavailable();
  }
}
