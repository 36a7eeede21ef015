import { z } from "@hono/zod-openapi";
import { OUTLOOK_CONNECTION_STATUSES } from "@/db/schema";

const OUTLOOK_ACTIONS = ["connect", "authorize", "reconnect", "none"] as const;

/**
 * The contract's OutlookConnectionError (`error`, `error_description`, `admin_consent_url`) plus the
 * `status` every error envelope of this API carries, so it is also a valid ErrorResponse.
 */
export const OutlookConnectionErrorSchema = z
  .object({
    error: z.string().openapi({
      description: "Error code or message from the OAuth flow.",
      example: "consent_required",
    }),
    status: z.number().int().openapi({ example: 403 }),
    error_description: z.string().optional().openapi({
      description: "Human-readable description of the error.",
      example: "AADSTS65001: The user or administrator has not consented to use the application.",
    }),
    admin_consent_url: z.string().url().optional().openapi({
      description: "URL for tenant admin to grant consent, if applicable.",
      example: "https://login.microsoftonline.com/organizations/v2.0/adminconsent?client_id=...",
    }),
  })
  .openapi("OutlookConnectionError");

export const ConnectOutlookResponseSchema = z.object({
  authorization_url: z.string().url().openapi({
    description: "Send the user's browser here; Microsoft redirects back to the OAuth callback.",
    example: "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?client_id=...",
  }),
});

const optionalParam = (name: string, description: string) =>
  z
    .string()
    .max(4096)
    .optional()
    .openapi({ param: { name, in: "query" }, description });

export const OAuthCallbackQuerySchema = z.object({
  code: optionalParam("code", "Authorization code (user sign-in)"),
  state: z
    .string()
    .min(1)
    .max(512)
    .openapi({ param: { name: "state", in: "query" }, description: "The one-time state of the flow" }),
  session_state: optionalParam("session_state", "Microsoft session id (ignored)"),
  error: optionalParam("error", "OAuth error code"),
  error_description: optionalParam("error_description", "OAuth error description (AADSTS...)"),
  error_subcode: optionalParam("error_subcode", "Microsoft error subcode, e.g. `cancel`"),
  client_info: optionalParam("client_info", "Microsoft client info (ignored)"),
  error_uri: optionalParam("error_uri", "OAuth error URI"),
  admin_consent: optionalParam("admin_consent", "`True` on the admin consent redirect"),
  tenant: optionalParam("tenant", "The tenant that granted admin consent"),
});

export const OAuthCallbackResponseSchema = z.object({
  connected: z.boolean().openapi({
    description: "true after a user sign-in stored tokens; false after an admin consent (status pending_auth)",
  }),
  expires_at: z.string().datetime().optional().openapi({ description: "When the new access token expires" }),
  scope: z.string().optional().openapi({ description: "Granted scopes, space-separated" }),
});

export const OutlookConnectionStatusSchema = z
  .object({
    status: z.enum(OUTLOOK_CONNECTION_STATUSES).openapi({
      description:
        "- pending_auth: Admin consent granted, waiting for user OAuth\n- connected: Fully connected with valid tokens\n" +
        "- expired: Tokens expired, need to re-authenticate\n- not_connected: No connection, initiate OAuth",
    }),
    action: z.enum(OUTLOOK_ACTIONS).openapi({
      description: "Action for UI to take (all call GET /outlook/connect)",
    }),
    action_label: z.string().openapi({ description: "Label for the UI's button", example: "Reconnect" }),
    connected_by_display_name: z.string().optional().openapi({ description: "Display name of user who connected" }),
    connected_by_email: z.string().email().optional().openapi({ description: "Email of the user who connected" }),
    connected_by_user_id: z.string().optional().openapi({ description: "Azure AD Object ID of user who connected" }),
    connected_at: z.string().datetime().optional().openapi({ description: "When the connection was established" }),
    updated_at: z.string().datetime().optional().openapi({ description: "When the connection was last updated" }),
    tenant_id: z.string().openapi({ description: "Microsoft Azure AD tenant ID" }),
    scopes: z.array(z.string()).optional().openapi({ description: "Granted permission scopes" }),
    expires_at: z.string().datetime().optional().openapi({ description: "When the current access token expires" }),
    is_token_valid: z.boolean().optional().openapi({ description: "Whether the current token is still valid" }),
    app_permission: z
      .object({
        status: z.enum(["granted", "missing", "unknown"]).openapi({
          description:
            "Whether the tenant granted the application permission Mail.Read that live sync's change " +
            "notifications need (however it was granted): `unknown` before the first check",
        }),
        checked_at: z.string().datetime().nullable().openapi({ description: "When it was last checked" }),
        detail: z.string().nullable().openapi({ description: "What the last check found, when missing" }),
        admin_consented_at: z
          .string()
          .datetime()
          .nullable()
          .openapi({
            description:
              "When the admin consent flow of this API last completed for the tenant (whether the permission is " +
              "granted is `status`)",
          }),
      })
      .optional()
      .openapi({
        description:
          "The tenant's application permission (an addition to the contract). Missing: an administrator can " +
          "grant it with GET /v2/outlook/connect?admin_consent=true&tenant_id=<tenant_id>",
      }),
  })
  .openapi("OutlookConnectionStatus");

export const ConnectOutlookQuerySchema = z.object({
  admin_consent: z
    .enum(["true", "false"])
    .optional()
    .openapi({
      param: { name: "admin_consent", in: "query" },
      description:
        "`true`: the URL asks a tenant administrator for admin consent (all the app's permissions, including " +
        "the application permission change notifications need) for `tenant_id`, a tenant the organization connected",
    }),
  tenant_id: z
    .string()
    .trim()
    .max(64, "must be at most 64 characters")
    .regex(
      /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
      "must be a tenant id (GUID)",
    )
    .optional()
    .openapi({
      param: { name: "tenant_id", in: "query" },
      description: "The tenant to ask the admin consent for (with admin_consent=true)",
    }),
});

export const OutlookConnectionsResponseSchema = z.object({
  connections: z
    .array(OutlookConnectionStatusSchema)
    .openapi({ description: "List of Outlook connections (one per tenant)" }),
  has_connections: z.boolean().openapi({ description: "Whether any connections exist" }),
});

export const DisconnectOutlookPayloadSchema = z.object({
  tenant_id: z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(128, "must be at most 128 characters")
    .openapi({ description: "Azure AD Tenant ID of the connection to disconnect" }),
});

export const DisconnectOutlookResponseSchema = z.object({
  success: z.boolean(),
  tenant_id: z.string().openapi({ description: "The tenant ID that was disconnected" }),
  affected_shared_inboxes: z
    .array(z.string())
    .openapi({ description: "List of shared inbox IDs that were affected by the disconnection" }),
});

export type OutlookConnectionStatus = z.infer<typeof OutlookConnectionStatusSchema>;
