import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

// Microsoft 365 (Outlook) connections: one per (org, Azure AD tenant).

export const APP_PERMISSION_STATES = ["granted", "missing"] as const;
export type AppPermissionState = (typeof APP_PERMISSION_STATES)[number];

export const OUTLOOK_CONNECTION_STATUSES = ["connected", "expired", "pending_auth", "not_connected"] as const;
export type OutlookConnectionStatusValue = (typeof OUTLOOK_CONNECTION_STATUSES)[number];

/**
 * A tenant-level Microsoft 365 connection. Tokens are stored only sealed (AES-GCM, see
 * src/shared/crypto/sealing.ts), bound to their row and purpose. `refresh_lock_*` is the lease that lets
 * one token refresh run at a time per connection across requests and isolates; `token_version`
 * increases with every stored token set so waiting callers can see that a refresh finished.
 */
export const outlookConnections = sqliteTable(
  "outlook_connections",
  {
    orgId: text("org_id").notNull(),
    tenantId: text("tenant_id").notNull(),
    status: text("status", { enum: OUTLOOK_CONNECTION_STATUSES }).notNull(),
    accessTokenSealed: text("access_token_sealed"),
    refreshTokenSealed: text("refresh_token_sealed"),
    accessTokenExpiresAt: text("access_token_expires_at"),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    /** Azure AD object id (`oid`), display name and sign-in name of the Microsoft user who connected. */
    connectedByUserId: text("connected_by_user_id"),
    connectedByDisplayName: text("connected_by_display_name"),
    connectedByEmail: text("connected_by_email"),
    /** The epilot user who started the connect flow. */
    connectedByEpilotUserId: text("connected_by_epilot_user_id"),
    connectedAt: text("connected_at"),
    /** When an administrator's consent for the tenant was proven (the id_token of a prompt=admin_consent sign-in). */
    adminConsentedAt: text("admin_consented_at"),
    /**
     * Whether app-only tokens for the tenant carry the application permission live sync's change
     * notifications need, however it was granted (our consent flow, the Azure portal, a script): `granted`,
     * `missing`, or null before the first check. Checked with a client-credentials token and a subscription.
     */
    appPermission: text("app_permission", { enum: APP_PERMISSION_STATES }),
    appPermissionCheckedAt: text("app_permission_checked_at"),
    /** What the last check found when the permission is missing (Microsoft's or Graph's answer). */
    appPermissionDetail: text("app_permission_detail"),
    tokenVersion: integer("token_version").notNull().default(0),
    refreshLockId: text("refresh_lock_id"),
    refreshLockExpiresAt: text("refresh_lock_expires_at"),
    /** OAuth error code (and AADSTS number, for support) of the last failed refresh. */
    lastError: text("last_error"),
    lastErrorAt: text("last_error_at"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.tenantId] }),
    index("outlook_connections_org_created_idx").on(t.orgId, t.createdAt),
  ],
);

export const OUTLOOK_OAUTH_FLOWS = ["authorize", "admin_consent"] as const;
export type OutlookOAuthFlow = (typeof OUTLOOK_OAUTH_FLOWS)[number];

/**
 * One-time OAuth `state`s. Only the SHA-256 of the state is stored; the PKCE verifier is sealed.
 * A state is consumed (used_at) atomically by the callback and is worthless after `expires_at`.
 * `browser_binding_hash` is the SHA-256 of the flow cookie the starting browser received: the callback
 * serves a state only to the browser that carries that cookie (NULL, from before the column existed:
 * served to nobody).
 */
export const outlookOAuthStates = sqliteTable(
  "outlook_oauth_states",
  {
    stateHash: text("state_hash").primaryKey(),
    orgId: text("org_id").notNull(),
    userId: text("user_id"),
    flow: text("flow", { enum: OUTLOOK_OAUTH_FLOWS }).notNull(),
    /** The tenant segment the flow was started for (MS_TENANT, e.g. `organizations`, or a tenant id). */
    tenantId: text("tenant_id").notNull(),
    codeVerifierSealed: text("code_verifier_sealed"),
    browserBindingHash: text("browser_binding_hash"),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
    usedAt: text("used_at"),
  },
  (t) => [
    index("outlook_oauth_states_expires_idx").on(t.expiresAt),
    index("outlook_oauth_states_browser_idx").on(t.browserBindingHash),
  ],
);

export const OUTLOOK_ATTEMPT_OUTCOMES = ["pending", "succeeded", "failed"] as const;
export type OutlookAttemptOutcome = (typeof OUTLOOK_ATTEMPT_OUTCOMES)[number];

/**
 * Connect attempts and their outcome. The org's last finished attempt for a tenant decides whether
 * connectOutlook answers an authorization URL or 403 with an admin consent URL. Rows expire
 * (`expires_at`) and are removed by the scheduled cleanup.
 */
export const outlookOAuthAttempts = sqliteTable(
  "outlook_oauth_attempts",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    tenantId: text("tenant_id").notNull(),
    userId: text("user_id"),
    flow: text("flow", { enum: OUTLOOK_OAUTH_FLOWS }).notNull(),
    stateHash: text("state_hash"),
    outcome: text("outcome", { enum: OUTLOOK_ATTEMPT_OUTCOMES }).notNull().default("pending"),
    error: text("error"),
    errorDescription: text("error_description"),
    errorSubcode: text("error_subcode"),
    errorUri: text("error_uri"),
    consentRequired: integer("consent_required", { mode: "boolean" }).notNull().default(false),
    createdAt: text("created_at").notNull(),
    finishedAt: text("finished_at"),
    expiresAt: text("expires_at").notNull(),
  },
  (t) => [
    index("outlook_oauth_attempts_org_tenant_idx").on(t.orgId, t.tenantId, t.finishedAt),
    index("outlook_oauth_attempts_state_idx").on(t.stateHash),
    index("outlook_oauth_attempts_expires_idx").on(t.expiresAt),
  ],
);

export type OutlookConnectionRow = typeof outlookConnections.$inferSelect;
export type OutlookOAuthStateRow = typeof outlookOAuthStates.$inferSelect;
export type OutlookOAuthAttemptRow = typeof outlookOAuthAttempts.$inferSelect;
