import { createRoute } from "@hono/zod-openapi";
import {
  CreateWebhookBodySchema,
  ListDeliveriesQuerySchema,
  TestWebhookEventSchema,
  UpdateWebhookBodySchema,
  WebhookDeliveryListSchema,
  WebhookDeliverySchema,
  WebhookEventParamSchema,
  WebhookIdParamSchema,
  WebhookListSchema,
  WebhookSchema,
  WebhookWithSecretSchema,
} from "@/features/webhooks/webhooks.schemas";
import {
  authenticatedErrors,
  bodyErrors,
  errorResponses,
  inputErrors,
  jsonBody,
  jsonContent,
} from "@/lib/openapi-helpers";

const tags = ["Webhooks"];
const BASE = "/v2/email-settings/webhooks";
const ONE = `${BASE}/{id}`;

const SIGNING =
  "Every delivery is a POST of a `WebhookEvent` JSON body signed per Standard Webhooks: `webhook-id` (the event " +
  "id, the same on every retry), `webhook-timestamp` (Unix seconds of the attempt) and `webhook-signature` " +
  "(`v1,<base64 HMAC-SHA256 of {id}.{timestamp}.{body}>`; two, space-separated, for 24 hours after a rotation).";

export const createWebhook = createRoute({
  operationId: "createWebhook",
  method: "post",
  path: BASE,
  tags,
  summary: "Create a webhook endpoint",
  description:
    "Registers an https endpoint for the organization's events (`event_types`, or every type). The answer " +
    `carries the signing secret; it is never shown again. ${SIGNING}`,
  request: { body: jsonBody(CreateWebhookBodySchema, "The endpoint") },
  responses: {
    201: jsonContent(WebhookWithSecretSchema, "The webhook, with its signing secret (shown only now)"),
    ...authenticatedErrors,
    ...bodyErrors,
    ...errorResponses(409, 503),
  },
});

export const listWebhooks = createRoute({
  operationId: "listWebhooks",
  method: "get",
  path: BASE,
  tags,
  summary: "List the organization's webhook endpoints",
  responses: { 200: jsonContent(WebhookListSchema, "The webhooks, oldest first"), ...authenticatedErrors },
});

export const getWebhook = createRoute({
  operationId: "getWebhook",
  method: "get",
  path: ONE,
  tags,
  summary: "Get a webhook endpoint",
  request: { params: WebhookIdParamSchema },
  responses: {
    200: jsonContent(WebhookSchema, "The webhook (never its secret)"),
    ...authenticatedErrors,
    ...inputErrors,
    ...errorResponses(404),
  },
});

export const updateWebhook = createRoute({
  operationId: "updateWebhook",
  method: "patch",
  path: ONE,
  tags,
  summary: "Change a webhook's URL, event types, description or enabled state",
  request: { params: WebhookIdParamSchema, body: jsonBody(UpdateWebhookBodySchema, "The fields to change") },
  responses: {
    200: jsonContent(WebhookSchema, "The updated webhook"),
    ...authenticatedErrors,
    ...bodyErrors,
    ...errorResponses(404),
  },
});

export const deleteWebhook = createRoute({
  operationId: "deleteWebhook",
  method: "delete",
  path: ONE,
  tags,
  summary: "Delete a webhook endpoint and its delivery log",
  request: { params: WebhookIdParamSchema },
  responses: {
    204: { description: "Deleted" },
    ...authenticatedErrors,
    ...inputErrors,
    ...errorResponses(404),
  },
});

export const rotateWebhookSecret = createRoute({
  operationId: "rotateWebhookSecret",
  method: "post",
  path: `${ONE}/rotate-secret`,
  tags,
  summary: "Rotate a webhook's signing secret",
  description:
    "Answers a new secret (shown only now). For 24 hours deliveries carry two signatures, with the new and the " +
    "previous secret, so receivers can switch without losing events.",
  request: { params: WebhookIdParamSchema },
  responses: {
    200: jsonContent(WebhookWithSecretSchema, "The webhook with its new secret"),
    ...authenticatedErrors,
    ...inputErrors,
    ...errorResponses(404, 503),
  },
});

export const listWebhookDeliveries = createRoute({
  operationId: "listWebhookDeliveries",
  method: "get",
  path: `${ONE}/deliveries`,
  tags,
  summary: "A webhook's deliveries, newest first (keyset paged)",
  request: { params: WebhookIdParamSchema, query: ListDeliveriesQuerySchema },
  responses: {
    200: jsonContent(WebhookDeliveryListSchema, "One page of deliveries"),
    ...authenticatedErrors,
    ...inputErrors,
    ...errorResponses(404),
  },
});

export const redeliverWebhookEvent = createRoute({
  operationId: "redeliverWebhookEvent",
  method: "post",
  path: `${ONE}/events/{event_id}/redeliver`,
  tags,
  summary: "Send one event to this webhook again (a fresh retry schedule, the same webhook-id)",
  request: { params: WebhookEventParamSchema },
  responses: {
    202: jsonContent(WebhookDeliverySchema, "The delivery, pending"),
    ...authenticatedErrors,
    ...inputErrors,
    ...errorResponses(404, 409),
  },
});

export const sendTestWebhookEvent = createRoute({
  operationId: "sendTestWebhookEvent",
  method: "post",
  path: `${ONE}/test`,
  tags,
  summary: "Send a `webhook.test` event to this webhook",
  description: SIGNING,
  request: { params: WebhookIdParamSchema },
  responses: {
    202: jsonContent(TestWebhookEventSchema, "The event as it is sent; its delivery shows in listWebhookDeliveries"),
    ...authenticatedErrors,
    ...inputErrors,
    ...errorResponses(404, 409),
  },
});

export type CreateWebhookRoute = typeof createWebhook;
export type ListWebhooksRoute = typeof listWebhooks;
export type GetWebhookRoute = typeof getWebhook;
export type UpdateWebhookRoute = typeof updateWebhook;
export type DeleteWebhookRoute = typeof deleteWebhook;
export type RotateWebhookSecretRoute = typeof rotateWebhookSecret;
export type ListWebhookDeliveriesRoute = typeof listWebhookDeliveries;
export type RedeliverWebhookEventRoute = typeof redeliverWebhookEvent;
export type SendTestWebhookEventRoute = typeof sendTestWebhookEvent;
