import { createRoute, z } from "@hono/zod-openapi";
import { FLOW_COOKIE } from "@/features/outlook/browser-binding";
import {
  ConnectOutlookQuerySchema,
  ConnectOutlookResponseSchema,
  DisconnectOutlookPayloadSchema,
  DisconnectOutlookResponseSchema,
  OAuthCallbackQuerySchema,
  OAuthCallbackResponseSchema,
  OutlookConnectionErrorSchema,
  OutlookConnectionsResponseSchema,
} from "@/features/outlook/outlook.schemas";
import {
  authenticatedErrors,
  bodyErrors,
  errorResponses,
  inputErrors,
  jsonBody,
  jsonContent,
  serverErrors,
} from "@/lib/openapi-helpers";

const tags = ["O365 Outlook Connection"];

/** The contract's OutlookErrorResponse: an OutlookConnectionError, maybe with an admin consent URL. */
const outlookError = (description: string) => jsonContent(OutlookConnectionErrorSchema, description);

const FLOW_COOKIE_HEADER = z.object({
  "Set-Cookie": z.string().openapi({
    description:
      `\`${FLOW_COOKIE.name}=<secret>; Max-Age=${FLOW_COOKIE.attributes.maxAge}; ` +
      `Path=${FLOW_COOKIE.attributes.path}; HttpOnly; Secure; SameSite=Lax\`: the flow cookie that binds ` +
      "the returned URL's state to this browser. The callback is served only to a browser carrying it.",
  }),
});

/** A connect answer that also sets the flow cookie. */
const withFlowCookie = <T extends { description: string }>(response: T) => ({
  ...response,
  headers: FLOW_COOKIE_HEADER,
});

export const connectOutlook = createRoute({
  operationId: "connectOutlook",
  method: "get",
  path: "/v2/outlook/connect",
  tags,
  summary: "Microsoft authorization URL for connecting a Microsoft 365 tenant",
  description:
    "Returns the Microsoft authorization URL (code flow with PKCE, one-time state valid 10 minutes). When the " +
    "organization's last attempt failed because an administrator must consent first, answers 403 with " +
    "`admin_consent_url` instead.\n\n" +
    "**Browser binding.** Both answers set the HttpOnly cookie `" +
    FLOW_COOKIE.name +
    `\` (Path=${FLOW_COOKIE.attributes.path}, 10 minutes, Secure, SameSite=Lax): the URL's state is served by ` +
    "the callback only to the browser that carries it. The web app must therefore call this operation from " +
    "the user's browser with credentials, e.g. " +
    '`fetch(url, { credentials: "include", headers: { authorization } })`, from an origin that is same-site ' +
    "with this API (a Lax cookie set by a cross-site fetch is dropped) and allowed by its CORS configuration, " +
    "and then open `authorization_url` (or `admin_consent_url`) in that same " +
    "browser. A cookie still valid for a flow of the same organization and user is reused, so several tabs " +
    "can connect at once.\n\n" +
    "**Admin consent (an addition to the contract).** `?admin_consent=true&tenant_id=<tenant id>` answers an " +
    "`authorization_url` that asks an administrator of that tenant (one the organization connected) to grant " +
    "all the app's permissions, including the application permission Mail.Read that change notifications on " +
    "shared mailboxes need. When the administrator comes back, the tenant's mailboxes switch to change " +
    "notifications by themselves. 404 when the organization has no connection to the tenant, 409 when no user " +
    "has signed in to it yet.",
  request: { query: ConnectOutlookQuerySchema },
  responses: {
    200: withFlowCookie(jsonContent(ConnectOutlookResponseSchema, "Authorization URL")),
    ...inputErrors,
    ...errorResponses(404, 409),
    ...authenticatedErrors,
    // Replaces the shared 403: this operation's 403 is the contract's OutlookErrorResponse.
    403: withFlowCookie(
      outlookError("Admin consent is required (admin_consent_url), or the token grants no access to the org"),
    ),
    ...errorResponses(503),
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
    "and user, and the flow cookie `" +
    FLOW_COOKIE.name +
    "` set by `connectOutlook` proves it is the browser that started the flow. Microsoft's redirect must " +
    "therefore be opened in the same browser that called `connectOutlook`. Without that cookie (a link " +
    "forwarded to someone else, another browser) the answer is 400 `browser_mismatch` and nothing changes: " +
    "the state stays usable from the right browser. Otherwise exchanges the authorization code for tokens, or " +
    "proves an admin consent (for the tenant the consent URL was issued for), or records an error; the cookie " +
    "is removed once the browser has no other flow in progress.",
  request: { query: OAuthCallbackQuerySchema },
  responses: {
    200: jsonContent(OAuthCallbackResponseSchema, "Stored"),
    400: outlookError(
      "Unknown, expired or used state (`invalid_state`), not the browser that started the flow " +
        "(`browser_mismatch`), or an error answered by Microsoft",
    ),
    403: outlookError("An administrator must consent first (admin_consent_url)"),
    ...serverErrors,
    ...errorResponses(503),
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
    ...authenticatedErrors,
    ...inputErrors,
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
    ...authenticatedErrors,
    ...bodyErrors,
    ...errorResponses(404),
  },
});

export type ConnectOutlookRoute = typeof connectOutlook;
export type OutlookOAuthCallbackRoute = typeof outlookOAuthCallback;
export type GetOutlookConnectionStatusRoute = typeof getOutlookConnectionStatus;
export type DisconnectOutlookRoute = typeof disconnectOutlook;
