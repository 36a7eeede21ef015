import { createRoute, z } from "@hono/zod-openapi";
import {
  CreateSharedInboxPayloadSchema,
  SharedInboxIdParamSchema,
  SharedInboxResponseSchema,
  UpdateSharedInboxPayloadSchema,
} from "@/features/shared-inboxes/shared-inboxes.schemas";
import {
  authenticatedErrors,
  bodyErrors,
  errorResponses,
  inputErrors,
  jsonBody,
  jsonContent,
} from "@/lib/openapi-helpers";

const tags = ["Shared inboxes"];
const BASE = "/v2/email-settings/shared-inboxes";

export const getSharedInbox = createRoute({
  operationId: "getSharedInbox",
  method: "get",
  path: `${BASE}/{id}`,
  tags,
  summary: "Get one shared inbox (including `default`)",
  request: { params: SharedInboxIdParamSchema },
  responses: {
    200: jsonContent(SharedInboxResponseSchema, "The inbox"),
    ...authenticatedErrors,
    ...errorResponses(404),
  },
});

export const deleteSharedInbox = createRoute({
  operationId: "deleteSharedInbox",
  method: "delete",
  path: `${BASE}/{id}`,
  tags,
  summary: "Delete a shared inbox, moving its addresses to a successor inbox",
  request: {
    params: SharedInboxIdParamSchema,
    query: z.object({
      successorInboxId: z
        .string()
        .min(1)
        .optional()
        .openapi({
          param: { name: "successorInboxId", in: "query" },
          description: "Inbox that inherits the deleted inbox's addresses (default: `default`)",
        }),
    }),
  },
  responses: {
    204: { description: "Deleted" },
    ...authenticatedErrors,
    ...inputErrors,
    ...errorResponses(404),
  },
});

export const updateSharedInbox = createRoute({
  operationId: "updateSharedInbox",
  method: "put",
  path: `${BASE}/{id}`,
  tags,
  summary: "Change some fields of a shared inbox",
  request: {
    params: SharedInboxIdParamSchema,
    body: jsonBody(UpdateSharedInboxPayloadSchema, "Fields to change; omitted fields stay as they are"),
  },
  responses: {
    200: jsonContent(SharedInboxResponseSchema, "The updated inbox"),
    ...authenticatedErrors,
    ...bodyErrors,
    ...errorResponses(404, 409),
  },
});

export const listSharedInboxes = createRoute({
  operationId: "listSharedInboxes",
  method: "get",
  path: BASE,
  tags,
  summary: "List the org's shared inboxes (the implicit `default` inbox is not listed)",
  responses: {
    200: jsonContent(z.array(SharedInboxResponseSchema), "The org's inboxes, oldest first"),
    ...authenticatedErrors,
  },
});

export const addSharedInbox = createRoute({
  operationId: "addSharedInbox",
  method: "post",
  path: BASE,
  tags,
  summary: "Create a shared inbox and its bucket",
  request: { body: jsonBody(CreateSharedInboxPayloadSchema, "The inbox to create") },
  responses: {
    201: jsonContent(SharedInboxResponseSchema, "The new inbox with its bucket id"),
    ...authenticatedErrors,
    ...bodyErrors,
    ...errorResponses(409),
  },
});

export type GetSharedInboxRoute = typeof getSharedInbox;
export type DeleteSharedInboxRoute = typeof deleteSharedInbox;
export type UpdateSharedInboxRoute = typeof updateSharedInbox;
export type ListSharedInboxesRoute = typeof listSharedInboxes;
export type AddSharedInboxRoute = typeof addSharedInbox;
