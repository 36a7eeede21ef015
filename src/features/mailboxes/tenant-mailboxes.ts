import type { TenantMailboxes } from "@/features/outlook";
import type { Services } from "@/lib/services";
import { resumeTenantLive, retryTenantNotifications } from "./live/live";
import { disconnectTenantMailboxes } from "./mailboxes";

/** What the Microsoft 365 connection has done to a tenant's mailboxes (see outlook's TenantMailboxes). */
export function tenantMailboxes(services: Services): TenantMailboxes {
  return {
    disconnectAll: (orgId, tenantId) => disconnectTenantMailboxes(services, orgId, tenantId),
    resume: (orgId, tenantId) => resumeTenantLive(services, orgId, tenantId),
    retryNotifications: (orgId, tenantId) => retryTenantNotifications(services, orgId, tenantId),
  };
}
