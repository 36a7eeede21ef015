import { appConfig } from "@/lib/config";
import type { AppEnv } from "@/lib/types";

/**
 * How long a granted or renewed sync lease lasts (MAILBOX_SYNC_LEASE_SECONDS). Not in sync-lock.ts: that
 * module is loaded at startup (the Worker exports its Durable Object class), the config module is not.
 */
export function leaseMs(env: AppEnv): number {
  return appConfig(env).MAILBOX_SYNC_LEASE_SECONDS * 1000;
}
