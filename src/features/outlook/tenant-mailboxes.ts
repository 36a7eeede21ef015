/**
 * What the Microsoft 365 connection needs done to a tenant's mailboxes, handed in by its caller (the
 * mailboxes feature implements it: `tenantMailboxes(services)`), so this feature does not depend on the one that
 * depends on it.
 */
export interface TenantMailboxes {
  /** Before the connection goes: the tenant's mailboxes are disconnected; answers their shared inboxes. */
  disconnectAll(orgId: string, tenantId: string): Promise<string[]>;
  /** After a sign-in stored new tokens: mailboxes waiting for a reconnect resume. */
  resume(orgId: string, tenantId: string): Promise<void>;
  /** After an admin consent: the mailboxes set up their change notifications again. */
  retryNotifications(orgId: string, tenantId: string): Promise<void>;
}
