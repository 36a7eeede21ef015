import { expect } from "vitest";
import { call } from "./api";
import { type Json, operationsOf } from "./openapi";

/** One operation of the served GET /openapi.json, with what a generic test needs to call it. */
export interface ServedOperation {
  operationId: string;
  method: string;
  /** The path template, e.g. `/v2/email-settings/email-addresses/{id}`. */
  path: string;
  isPublic: boolean;
  pathParams: string[];
  requiredQuery: string[];
  hasBody: boolean;
}

/** Every operation the Worker serves, read from its own document, so a new route is covered on arrival. */
export async function servedOperations(): Promise<ServedOperation[]> {
  const response = await call<Json>("GET", "/openapi.json", { token: null });
  expect(response.status).toBe(200);
  return operationsOf(response.body).map(({ method, path, operation }) => {
    const params = (operation.parameters ?? []) as Json[];
    return {
      operationId: operation.operationId,
      method: method.toUpperCase(),
      path,
      isPublic: Array.isArray(operation.security) && operation.security.length === 0,
      pathParams: params.filter((p) => p.in === "path").map((p) => p.name),
      requiredQuery: params.filter((p) => p.in === "query" && p.required).map((p) => p.name),
      hasBody: operation.requestBody !== undefined,
    };
  });
}

/** The concrete path for `values` (path params by name); unknown params become `unknown-<name>`. */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(values[name] ?? `unknown-${name}`));
}
