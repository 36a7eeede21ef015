import type { OutlookConnectionRow, OutlookConnectionStatusValue } from "@/db/schema";
import { notFound } from "@/lib/errors";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import { deleteConnection, findConnection, listConnections } from "./outlook-connections.store";
import type { TenantMailboxes } from "./tenant-mailboxes";

const ACTIONS = {
  connected: { action: "none", action_label: "Connected" },
  pending_auth: { action: "authorize", action_label: "Authorize" },
  expired: { action: "reconnect", action_label: "Reconnect" },
  not_connected: { action: "connect", action_label: "Connect" },
} as const;

/** The contract's OutlookConnectionStatus for one connection row. */
export interface ConnectionStatus {
  status: OutlookConnectionStatusValue;
  action: (typeof ACTIONS)[keyof typeof ACTIONS]["action"];
  action_label: string;
  tenant_id: string;
  connected_by_display_name?: string;
  connected_by_email?: string;
  connected_by_user_id?: string;
  connected_at?: string;
  updated_at?: string;
  scopes?: string[];
  expires_at?: string;
  is_token_valid?: boolean;
  app_permission: {
    status: "granted" | "missing" | "unknown";
    checked_at: string | null;
    detail: string | null;
    admin_consented_at: string | null;
  };
}

export function toConnectionStatus(row: OutlookConnectionRow, now = Date.now()): ConnectionStatus {
  const expiresAt = row.accessTokenExpiresAt ?? undefined;
  return {
    status: row.status,
    ...ACTIONS[row.status],
    tenant_id: row.tenantId,
    ...(row.connectedByDisplayName && { connected_by_display_name: row.connectedByDisplayName }),
    ...(row.connectedByEmail && { connected_by_email: row.connectedByEmail }),
    ...(row.connectedByUserId && { connected_by_user_id: row.connectedByUserId }),
    ...(row.connectedAt && { connected_at: row.connectedAt }),
    updated_at: row.updatedAt,
    scopes: row.scopes,
    ...(expiresAt && { expires_at: expiresAt }),
    is_token_valid:
      row.status === "connected" && row.accessTokenSealed !== null && !!expiresAt && Date.parse(expiresAt) > now,
    app_permission: {
      status: row.appPermission ?? "unknown",
      checked_at: row.appPermissionCheckedAt,
      detail: row.appPermission === "missing" ? row.appPermissionDetail : null,
      admin_consented_at: row.adminConsentedAt,
    },
  };
}

/** `getOutlookConnectionStatus`: the org's connections, one per tenant. */
export async function getOutlookConnectionStatus(services: Pick<Services, "db">, orgId: string) {
  const rows = await listConnections(services.db, orgId);
  const connections = rows.map((row) => toConnectionStatus(row));
  return { connections, has_connections: connections.length > 0 };
}

/**
 * `disconnectOutlook`: removes the tenant's connection with its tokens; the tenant's mailboxes go first,
 * while its token can still remove their Graph subscriptions. 404 when the org has no such connection.
 */
export async function disconnectOutlook(
  services: Pick<Services, "db">,
  mailboxes: TenantMailboxes,
  orgId: string,
  tenantIdInput: string,
) {
  const tenantId = tenantIdInput.toLowerCase();
  const { db } = services;
  const notConnected = () => notFound(`No Microsoft 365 connection for tenant '${tenantId}' in this organization`);
  if (!(await findConnection(db, orgId, tenantId))) throw notConnected();
  const affected = await mailboxes.disconnectAll(orgId, tenantId);
  if (!(await deleteConnection(db, orgId, tenantId))) throw notConnected();
  logEvent("info", "outlook_disconnected", { orgId, tenantId });
  return { success: true, tenant_id: tenantId, affected_shared_inboxes: affected };
}
