import { DurableObject } from "cloudflare:workers";
import { MAX_IN_FLIGHT_PER_MAILBOX } from "@/clients/graph/client";
import { SlotLimiter } from "@/clients/graph/limiter";
import { appConfig } from "@/lib/config";
import { logEvent } from "@/lib/log";
import type { AppEnv } from "@/lib/types";
import { abandonExecution } from "./executions";

/**
 * One instance per mailbox (named by org and address, see `lockStub`): grants one running sync at a
 * time. A grant is a lease with a fencing token that only ever grows, so a newer sync always carries a
 * larger token than any older one. The lease is renewed by every step of the sync; an alarm expires a
 * lease that nobody renewed (a crashed or lost run), marks its execution FAILED in D1 and frees the
 * mailbox, so an abandoned sync never blocks the mailbox forever.
 */
export interface Lease {
  orgId: string;
  mailbox: string;
  executionId: string;
  token: number;
  expiresAt: number;
}

export type AcquireResult =
  | { ok: true; token: number; expiresAt: number; expired?: Lease }
  | { ok: false; executionId: string; expiresAt: number };

const LEASE_KEY = "lease";
const LAST_TOKEN_KEY = "lastToken";

/** A slot not released by then (its holder crashed) is reclaimed. */
const GRAPH_SLOT_TTL_MS = 60_000;

export class MailboxSyncLock extends DurableObject<AppEnv> {
  /**
   * Graph request slots of this mailbox, held by consumers in any isolate. In memory only: if the
   * object is evicted, the slots in use are forgotten, which can briefly allow more than the limit
   * but never blocks a mailbox.
   */
  private readonly graphSlots = new SlotLimiter(MAX_IN_FLIGHT_PER_MAILBOX, GRAPH_SLOT_TTL_MS);

  /** Waits until fewer than MAX_IN_FLIGHT_PER_MAILBOX requests (Graph's limit) are in flight; answers a slot id. */
  acquireGraphSlot(ttlMs = GRAPH_SLOT_TTL_MS): Promise<string> {
    return this.graphSlots.acquire(ttlMs);
  }

  releaseGraphSlot(id: string): void {
    this.graphSlots.release(id);
  }

  graphSlotsInUse(): number {
    return this.graphSlots.inUse;
  }

  /** Grants the lease unless a live one exists. An expired lease is taken over (and its execution marked abandoned). */
  async acquire(input: {
    orgId: string;
    mailbox: string;
    executionId: string;
    leaseMs: number;
  }): Promise<AcquireResult> {
    const now = Date.now();
    const current = await this.ctx.storage.get<Lease>(LEASE_KEY);
    if (current && current.expiresAt > now) {
      return { ok: false, executionId: current.executionId, expiresAt: current.expiresAt };
    }
    const token = ((await this.ctx.storage.get<number>(LAST_TOKEN_KEY)) ?? 0) + 1;
    const lease: Lease = {
      orgId: input.orgId,
      mailbox: input.mailbox,
      executionId: input.executionId,
      token,
      expiresAt: now + input.leaseMs,
    };
    await this.ctx.storage.put({ [LEASE_KEY]: lease, [LAST_TOKEN_KEY]: token });
    await this.ctx.storage.setAlarm(lease.expiresAt);
    // The expired lease's execution ends after the grant: between reading the lease and granting it
    // only storage calls run, so no other call slips in, whereas ending the execution waits on D1.
    if (current) {
      await this.abandon(current).catch((err) =>
        logEvent("warn", "mailbox_sync_abandon_failed", {
          orgId: current.orgId,
          executionId: current.executionId,
          message: err instanceof Error ? err.message.slice(0, 300) : String(err),
        }),
      );
    }
    return { ok: true, token, expiresAt: lease.expiresAt, ...(current && { expired: current }) };
  }

  /** Extends the lease if (and only if) it is still the caller's. */
  async renew(executionId: string, token: number, leaseMs: number): Promise<boolean> {
    const current = await this.ctx.storage.get<Lease>(LEASE_KEY);
    if (!current || current.executionId !== executionId || current.token !== token) return false;
    if (current.expiresAt <= Date.now()) return false;
    current.expiresAt = Date.now() + leaseMs;
    await this.ctx.storage.put(LEASE_KEY, current);
    await this.ctx.storage.setAlarm(current.expiresAt);
    return true;
  }

  /** Frees the mailbox if the lease is the caller's. */
  async release(executionId: string, token: number): Promise<boolean> {
    const current = await this.ctx.storage.get<Lease>(LEASE_KEY);
    if (!current || current.executionId !== executionId || current.token !== token) return false;
    await this.ctx.storage.delete(LEASE_KEY);
    await this.ctx.storage.deleteAlarm();
    return true;
  }

  /** Frees the mailbox whoever holds it (disconnect); answers the lease that was cancelled, if any. */
  async cancel(): Promise<Lease | null> {
    const current = await this.ctx.storage.get<Lease>(LEASE_KEY);
    if (!current) return null;
    await this.ctx.storage.delete(LEASE_KEY);
    await this.ctx.storage.deleteAlarm();
    return current;
  }

  /** The current lease (live or not yet expired by the alarm) and the last token granted. */
  async inspect(): Promise<{ lease: Lease | null; lastToken: number }> {
    return {
      lease: (await this.ctx.storage.get<Lease>(LEASE_KEY)) ?? null,
      lastToken: (await this.ctx.storage.get<number>(LAST_TOKEN_KEY)) ?? 0,
    };
  }

  override async alarm(): Promise<void> {
    const current = await this.ctx.storage.get<Lease>(LEASE_KEY);
    if (!current) return;
    if (current.expiresAt > Date.now()) {
      await this.ctx.storage.setAlarm(current.expiresAt);
      return;
    }
    // Throws on a D1 failure, so the runtime retries the alarm with the lease still in place.
    await this.abandon(current);
    // Ending the execution waited on D1: delete the lease only if it is still the expired one.
    const after = await this.ctx.storage.get<Lease>(LEASE_KEY);
    if (after?.executionId === current.executionId && after.token === current.token) {
      await this.ctx.storage.delete(LEASE_KEY);
    }
  }

  /** The lease lapsed without a release: its execution ends FAILED (if it is still running). */
  private abandon(lease: Lease) {
    return abandonExecution(this.env, lease.orgId, lease.executionId);
  }
}

/** The lock of one mailbox. */
export function lockStub(env: AppEnv, orgId: string, mailbox: string) {
  const ns = env.MAILBOX_SYNC_LOCK as DurableObjectNamespace<MailboxSyncLock>;
  return ns.get(ns.idFromName(JSON.stringify([orgId, mailbox])));
}

export function leaseMs(env: AppEnv): number {
  return appConfig(env).MAILBOX_SYNC_LEASE_SECONDS * 1000;
}
