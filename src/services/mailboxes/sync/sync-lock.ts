import { DurableObject } from "cloudflare:workers";
import { MAX_IN_FLIGHT_PER_MAILBOX } from "@/clients/graph/client";
import { configNumber } from "@/lib/config";
import { logEvent } from "@/lib/log";
import type { AppEnv } from "@/lib/types";

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
/** Waiters re-check this often, so a slot reclaimed by its TTL is handed on without a release. */
const SLOT_RECHECK_MS = 1_000;

export class MailboxSyncLock extends DurableObject<AppEnv> {
  /**
   * Graph request slots of this mailbox, held by consumers in any isolate. In memory only: if the
   * object is evicted, the slots in use are forgotten, which can briefly allow more than the limit
   * but never blocks a mailbox.
   */
  private readonly slots = new Map<string, number>();
  private readonly slotWaiters: (() => void)[] = [];

  /** Waits until fewer than MAX_IN_FLIGHT_PER_MAILBOX requests (Graph's limit) are in flight; answers a slot id. */
  async acquireGraphSlot(ttlMs = GRAPH_SLOT_TTL_MS): Promise<string> {
    for (;;) {
      const now = Date.now();
      for (const [id, expiresAt] of this.slots) if (expiresAt <= now) this.slots.delete(id);
      if (this.slots.size < MAX_IN_FLIGHT_PER_MAILBOX) {
        const id = crypto.randomUUID();
        this.slots.set(id, now + ttlMs);
        return id;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, SLOT_RECHECK_MS);
        this.slotWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  releaseGraphSlot(id: string): void {
    if (this.slots.delete(id)) this.slotWaiters.shift()?.();
  }

  graphSlotsInUse(): number {
    return this.slots.size;
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
    if (current) await this.abandon(current);
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
    await this.abandon(current);
    await this.ctx.storage.delete(LEASE_KEY);
  }

  /** The lease lapsed without a release: its execution ends FAILED (if it is still running). */
  private async abandon(lease: Lease) {
    const now = new Date().toISOString();
    await this.env.DB.prepare(
      `UPDATE mailbox_sync_executions SET status = 'FAILED', error = ?1, completed_at = ?2, updated_at = ?2
       WHERE org_id = ?3 AND id = ?4 AND status = 'RUNNING'`,
    )
      .bind("The sync was abandoned: its lease expired without progress", now, lease.orgId, lease.executionId)
      .run();
    logEvent("warn", "mailbox_sync_lease_expired", { orgId: lease.orgId, executionId: lease.executionId });
  }
}

/** The lock of one mailbox. */
export function lockStub(env: AppEnv, orgId: string, mailbox: string) {
  const ns = env.MAILBOX_SYNC_LOCK as DurableObjectNamespace<MailboxSyncLock>;
  return ns.get(ns.idFromName(JSON.stringify([orgId, mailbox])));
}

export function leaseMs(env: AppEnv): number {
  return configNumber(env.MAILBOX_SYNC_LEASE_SECONDS, 600, { positive: true }) * 1000;
}
