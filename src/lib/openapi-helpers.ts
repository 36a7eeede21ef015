import { z } from "@hono/zod-openapi";

export const ErrorResponseSchema = z
  .object({
    error: z.string().openapi({ example: "Email address not found" }),
    status: z.number().int().openapi({ example: 404 }),
  })
  .openapi("ErrorResponse");

const ERROR_DESCRIPTIONS = {
  400: "The request is invalid; the message names the field or rule",
  401: "The bearer token is missing, malformed, expired or not trusted",
  403: "The token does not grant access to the organization",
  404: "No such resource in the caller's organization",
  409: "The change conflicts with the current state",
  413: "The request body exceeds 1 MiB",
  500: "Unexpected server error; the message carries a request id",
  503: "A dependency or configuration needed for this operation is unavailable",
} as const;

type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

type ErrorEntry = { description: string; content: { "application/json": { schema: typeof ErrorResponseSchema } } };

/** One ErrorResponse entry with its own description, for a status only some operations answer (e.g. 502). */
export function errorResponse(description: string): ErrorEntry {
  return { description, content: { "application/json": { schema: ErrorResponseSchema } } };
}

/** ErrorResponse entries for a route's `responses`, e.g. `...errorResponses(404, 409)`. */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]) {
  return Object.fromEntries(
    statuses.map((status) => [status, errorResponse(ERROR_DESCRIPTIONS[status])]),
  ) as unknown as { [K in S]: ErrorEntry };
}

/**
 * The shared error answers, spread into every route's `responses` (in the spirit of unkey's
 * `openApiErrorResponses`); a route adds only the statuses that are its own (404, 409, 503, ...).
 *
 * - `serverErrors`: what any operation can answer (500, with a request id).
 * - `authenticatedErrors`: what every bearer-authenticated operation can answer: no or a bad token (401),
 *   no access to the organization (403), plus `serverErrors`.
 * - `bodyErrors`: what an operation that reads a JSON body can answer: invalid input (400) and a body over
 *   1 MiB (413).
 * - `inputErrors`: 400 alone, for operations whose query or path parameters are validated.
 */
export const serverErrors = errorResponses(500);
export const authenticatedErrors = { ...errorResponses(401, 403), ...serverErrors };
export const bodyErrors = errorResponses(400, 413);
export const inputErrors = errorResponses(400);

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

export function jsonBody<T extends z.ZodType>(schema: T, description: string) {
  return { description, required: true, content: { "application/json": { schema } } };
}

/** Any one of these satisfies a route, as in the contract. */
export const SECURITY: Record<string, string[]>[] = [{ EpilotAuth: [] }, { AsOrganization: [] }, { EpilotOrg: [] }];
