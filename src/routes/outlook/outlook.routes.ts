import { createRoute } from "@hono/zod-openapi";
import { errorResponses, jsonBody, jsonContent } from "@/lib/openapi-helpers";
import {
  ConnectOutlookResponseSchema,
  DisconnectOutlookPayloadSchema,
  DisconnectOutlookResponseSchema,
  OAuthCallbackQuerySchema,
  OAuthCallbackResponseSchema,
  OutlookConnectionErrorSchema,
  OutlookConnectionsResponseSchema,
} from "@/schemas/outlook";

const tags = ["O365 Outlook Connection"];

/** The contract's OutlookErrorResponse: an OutlookConnectionError, maybe with an admin consent URL. */
const outlookError = (description: string) => jsonContent(OutlookConnectionErrorSchema, description);

export const connectOutlook = createRoute({
  operationId: "connectOutlook",
  method: "get",
  path: "/v2/outlook/connect",
  tags,
  summary: "Microsoft authorization URL for connecting a Microsoft 365 tenant",
  description:
    "Returns the Microsoft authorization URL (code flow with PKCE, one-time state valid 10 minutes). When the " +
    "organization's last attempt failed because an administrator must consent first, answers 403 with " +
    "`admin_consent_url` instead.",
  responses: {
    200: jsonContent(ConnectOutlookResponseSchema, "Authorization URL"),
    403: outlookError("Admin consent is required (admin_consent_url), or the token grants no access to the org"),
    ...errorResponses(401, 500, 503),
  },
});

export const outlookOAuthCallback = createRoute({
  operationId: "outlookOAuthCallback",
  method: "get",
  path: "/v2/outlook/oauth/callback",
  tags,
  security: [],
  summary: "Microsoft's redirect target: stores the tenant's tokens or records the admin consent",
  description:
    "Called by the user's browser without a bearer token; the one-time `state` identifies the organization " +
    "and user. Exchanges the authorization code for tokens, or proves an admin consent, or records an error.",
  request: { query: OAuthCallbackQuerySchema },
  responses: {
    200: jsonContent(OAuthCallbackResponseSchema, "Stored"),
    400: outlookError("Unknown, expired or used state, or an error answered by Microsoft"),
    403: outlookError("An administrator must consent first (admin_consent_url)"),
    ...errorResponses(500, 503),
  },
});

export const getOutlookConnectionStatus = createRoute({
  operationId: "getOutlookConnectionStatus",
  method: "get",
  path: "/v2/outlook/connection/status",
  tags,
  summary: "The organization's Microsoft 365 connections, one per tenant",
  responses: {
    200: jsonContent(OutlookConnectionsResponseSchema, "Connection status retrieved successfully"),
    ...errorResponses(400, 401, 403, 500),
  },
});

export const disconnectOutlook = createRoute({
  operationId: "disconnectOutlook",
  method: "post",
  path: "/v2/outlook/connection/disconnect",
  tags,
  summary: "Remove a tenant's connection and its stored tokens",
  request: { body: jsonBody(DisconnectOutlookPayloadSchema, "The tenant to disconnect") },
  responses: {
    200: jsonContent(DisconnectOutlookResponseSchema, "Successfully disconnected"),
    ...errorResponses(400, 401, 403, 404, 413, 500),
  },
});

export type ConnectOutlookRoute = typeof connectOutlook;
export type OutlookOAuthCallbackRoute = typeof outlookOAuthCallback;
export type GetOutlookConnectionStatusRoute = typeof getOutlookConnectionStatus;
export type DisconnectOutlookRoute = typeof disconnectOutlook;
