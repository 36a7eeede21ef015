/**
 * Reading OpenAPI 3 documents in tests: the contract (test/contract/email-settings.openapi.json, a copy of
 * ../shared/spec kept in sync by `npm run check`) and the Worker's generated GET /openapi.json.
 */

// biome-ignore lint/suspicious/noExplicitAny: parsed OpenAPI documents are untyped JSON
export type Json = any;

export const HTTP_METHODS = ["get", "post", "put", "delete", "patch"] as const;

export interface DocOperation {
  method: string;
  path: string;
  operation: Json;
}

/** Every operation of a document, in path order. */
export function operationsOf(doc: Json): DocOperation[] {
  return Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => (HTTP_METHODS as readonly string[]).includes(method))
      .map(([method, operation]) => ({ method, path, operation })),
  );
}

/** Follows `$ref` chains (schemas, parameters, responses) within one document. */
export function deref(doc: Json, node: Json): Json {
  let current = node;
  for (let depth = 0; current?.$ref && depth < 10; depth++) {
    // "#/components/<section>/<name>"
    const [, , section = "", name = ""] = String(current.$ref).split("/");
    current = doc.components?.[section]?.[name];
    if (current === undefined) throw new Error(`unresolved ${node.$ref}`);
  }
  return current;
}

/** The component name a `$ref` points at, or undefined for an inline node. */
export const refName = (node: Json): string | undefined => node?.$ref?.split("/").pop();

/** Property and required names of an object schema, following $ref and merging allOf. */
export function flatten(doc: Json, schema: Json): { properties: string[]; required: string[] } {
  const properties = new Set<string>();
  const required = new Set<string>();
  const visit = (s: Json) => {
    const resolved = deref(doc, s);
    for (const part of resolved.allOf ?? []) visit(part);
    for (const name of Object.keys(resolved.properties ?? {})) properties.add(name);
    for (const name of resolved.required ?? []) required.add(name);
  };
  visit(schema);
  return { properties: [...properties].sort(), required: [...required].sort() };
}

/** Enum values of a schema, following $ref and uniting oneOf/anyOf alternatives. */
export function enumOf(doc: Json, schema: Json): unknown[] | undefined {
  const resolved = deref(doc, schema);
  if (Array.isArray(resolved?.enum)) return resolved.enum;
  const alternatives = resolved?.oneOf ?? resolved?.anyOf;
  if (Array.isArray(alternatives)) {
    const values = alternatives.flatMap((s: Json) => enumOf(doc, s) ?? []);
    return values.length ? values : undefined;
  }
  return undefined;
}

/** A property's schema, looked up through $ref and allOf. */
export function propertySchema(doc: Json, schema: Json, name: string): Json {
  const resolved = deref(doc, schema);
  if (resolved.properties?.[name]) return resolved.properties[name];
  for (const part of resolved.allOf ?? []) {
    const found = propertySchema(doc, part, name);
    if (found) return found;
  }
  return undefined;
}

/** An operation's parameters with `$ref`s resolved. */
export const parametersOf = (doc: Json, operation: Json): Json[] =>
  ((operation.parameters ?? []) as Json[]).map((p) => deref(doc, p));

/** The schema of a response's (or request body's) JSON content, `$ref`s of the response resolved. */
export const jsonSchemaOf = (doc: Json, responseOrBody: Json): Json =>
  deref(doc, responseOrBody)?.content?.["application/json"]?.schema;

export const numericCodes = (operation: Json): number[] =>
  Object.keys(operation.responses ?? {})
    .map(Number)
    .sort((a, b) => a - b);
