/**
 * What the bundle gets for zod's `core/json-schema-processors.js` (wrangler.toml `[alias]`): only
 * `aggregateChecks`, zod's own, which the `minLength`/`maxLength`/`format`/... getters of its schemas run
 * (zod-to-openapi reads those to write the OpenAPI document). The rest of that module is zod's JSON
 * Schema converter (`z.toJSONSchema`, `schema.toJSONSchema()`, `~standard.jsonSchema`; ~4 KiB gzip): the
 * Worker never calls it (zod-to-openapi walks the schemas itself), yet zod's namespace re-exports it and
 * every schema keeps a reference to its processor, so the bundler cannot leave it out. Here every
 * processor is one function that says it is left out, should anything ever call it.
 */
export { aggregateChecks } from "../../../node_modules/zod/v4/core/json-schema-processors.js";

const unavailable = (): never => {
  throw new Error("zod's JSON Schema converter is not part of the Worker bundle (wrangler.toml [alias])");
};

export const toJSONSchema = unavailable;
export const allProcessors = {};
export const stringProcessor = unavailable;
export const numberProcessor = unavailable;
export const booleanProcessor = unavailable;
export const bigintProcessor = unavailable;
export const symbolProcessor = unavailable;
export const nullProcessor = unavailable;
export const undefinedProcessor = unavailable;
export const voidProcessor = unavailable;
export const neverProcessor = unavailable;
export const anyProcessor = unavailable;
export const unknownProcessor = unavailable;
export const dateProcessor = unavailable;
export const enumProcessor = unavailable;
export const literalProcessor = unavailable;
export const nanProcessor = unavailable;
export const templateLiteralProcessor = unavailable;
export const fileProcessor = unavailable;
export const successProcessor = unavailable;
export const customProcessor = unavailable;
export const functionProcessor = unavailable;
export const transformProcessor = unavailable;
export const mapProcessor = unavailable;
export const setProcessor = unavailable;
export const arrayProcessor = unavailable;
export const objectProcessor = unavailable;
export const unionProcessor = unavailable;
export const intersectionProcessor = unavailable;
export const tupleProcessor = unavailable;
export const recordProcessor = unavailable;
export const nullableProcessor = unavailable;
export const nonoptionalProcessor = unavailable;
export const defaultProcessor = unavailable;
export const prefaultProcessor = unavailable;
export const catchProcessor = unavailable;
export const pipeProcessor = unavailable;
export const readonlyProcessor = unavailable;
export const promiseProcessor = unavailable;
export const optionalProcessor = unavailable;
export const lazyProcessor = unavailable;
