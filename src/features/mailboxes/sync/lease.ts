import type { Services } from "@/lib/services";

/**
 * How long a granted or renewed sync lease lasts (MAILBOX_SYNC_LEASE_SECONDS). Not in sync-lock.ts: that
 * module is loaded at startup (the Worker exports its Durable Object class), the config module is not.
 */
export function leaseMs(services: Pick<Services, "config">): number {
  return services.config.MAILBOX_SYNC_LEASE_SECONDS * 1000;
}
