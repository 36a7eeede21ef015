/** Microsoft 365 connection: what other areas (the mailbox features) use. */
export { getAccessToken, OutlookTokenUnavailableError } from "./access-token";
export { AppOnlyTokenUnavailableError, appPermissionRefused, forgetAppOnlyToken, getAppOnlyToken } from "./app-token";
export { cleanupOAuthState } from "./cleanup";
export { outlookConfig } from "./config";
export { listConnections } from "./outlook-connections.store";
export type { TenantMailboxes } from "./tenant-mailboxes";
