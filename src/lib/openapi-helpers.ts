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

/** ErrorResponse entries for a route's `responses`, e.g. `...errorResponses(400, 404)`. */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: ERROR_DESCRIPTIONS[status],
        content: { "application/json": { schema: ErrorResponseSchema } },
      },
    ]),
  ) as unknown as {
    [K in S]: { description: string; content: { "application/json": { schema: typeof ErrorResponseSchema } } };
  };
}

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

export function jsonBody<T extends z.ZodType>(schema: T, description: string) {
  return { description, required: true, content: { "application/json": { schema } } };
}

/** Any one of these satisfies a route, as in the contract. */
export const SECURITY: Record<string, string[]>[] = [{ EpilotAuth: [] }, { AsOrganization: [] }, { EpilotOrg: [] }];
