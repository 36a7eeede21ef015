import type { TenantMailboxes } from "@/features/outlook";
import type { AppEnv } from "@/lib/types";
import { resumeTenantLive, retryTenantNotifications } from "./live/live";
import { disconnectTenantMailboxes } from "./mailboxes";

/** What the Microsoft 365 connection has done to a tenant's mailboxes (see outlook's TenantMailboxes). */
export function tenantMailboxes(env: AppEnv): TenantMailboxes {
  return {
    disconnectAll: (orgId, tenantId) => disconnectTenantMailboxes(env, orgId, tenantId),
    resume: (orgId, tenantId) => resumeTenantLive(env, orgId, tenantId),
    retryNotifications: (orgId, tenantId) => retryTenantNotifications(env, orgId, tenantId),
  };
}
