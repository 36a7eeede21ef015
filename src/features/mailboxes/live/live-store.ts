import { sha256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { decodeHex } from "@oslojs/encoding";
import type { SyncFolder } from "@/clients/graph/mail";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import type { PollingReasonCode } from "@/shared/mailbox-live";
import type { LiveTask } from "../sync/tasks";
import { degradedReason, noteTransition, previousDegraded, writeTransition } from "./live-events";
import {
  type FolderCursor,
  type LiveSettings,
  type LiveState,
  type LiveSubscription,
  liveView,
  newLiveState,
  nextLiveWake,
  nextPollAfterRun,
  notificationBlocker,
  pollSeconds,
  RUN_LEASE_MS,
} from "./state";

/**
 * The live state of a mailbox in its Durable Object's storage (one key), and every change to it. The
 * object (MailboxSyncLock) calls these from its RPC methods and its alarm; each call reads, changes and
 * writes the state without awaiting anything else in between, so calls never interleave. A delta run is
 * granted here (one running, at most one pending: a burst of notifications coalesces) and sent to the
 * queue as a `live` task.
 */

const LIVE_KEY = "live";
/** If sending a run to the queue fails, the alarm tries again after this long. */
const SEND_RETRY_MS = 5_000;

export type LifecycleEvent = "reauthorizationRequired" | "subscriptionRemoved" | "missed";

export interface IncomingNotification {
  subscriptionId: string;
  /** The part of clientState after the object id: the subscription's secret. */
  secret: string;
  lifecycleEvent?: string;
}

export interface RunOutcome {
  /** The delegated connection is unusable (expired, removed): stop until the tenant is reconnected. */
  reconnectRequired?: boolean;
  error?: string;
  /** More delta pages wait (the run stopped at its page budget): run again right away. */
  more?: boolean;
}

export interface SubscriptionUpdate {
  subscriptions: LiveSubscription[];
  pollingReason: string | null;
  pollingReasonCode: PollingReasonCode | null;
  nextCheckAt: number;
}

const secretMatches = (storedHex: string, secret: string) => {
  try {
    return constantTimeEqual(decodeHex(storedHex), sha256(new TextEncoder().encode(secret)));
  } catch {
    return false;
  }
};

export class LiveStore {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly services: Pick<Services, "db" | "queues">,
    private readonly reschedule: () => Promise<void>,
  ) {}

  read(): Promise<LiveState | undefined> {
    return this.storage.get<LiveState>(LIVE_KEY);
  }

  private async write(state: LiveState) {
    await this.storage.put(LIVE_KEY, state);
    await this.reschedule();
  }

  /** When the alarm must next wake for live work (Infinity: never). */
  async wakeAt(): Promise<number> {
    const state = await this.read();
    return state ? nextLiveWake(state) : Number.POSITIVE_INFINITY;
  }

  /**
   * Connect or schedule: creates the state if absent (a first round from `since`), else refreshes the
   * settings and tenant. Idempotent; answers whether the state was created.
   */
  async ensure(input: { orgId: string; mailbox: string; tenantId: string; since: string }, settings: LiveSettings) {
    const now = Date.now();
    const current = await this.read();
    if (!current) {
      const state = newLiveState(input, settings, now);
      await this.startRun(state, now);
      return { created: true };
    }
    const blockerChanged = notificationBlocker(settings) !== notificationBlocker(current.settings);
    current.settings = settings;
    current.tenantId = input.tenantId;
    // A shorter interval takes effect from the last run on.
    current.nextPollAt = Math.min(current.nextPollAt, (current.lastDeltaAt ?? now) + pollSeconds(current, now) * 1000);
    if (blockerChanged) {
      current.pollingReason = notificationBlocker(settings);
      current.pollingReasonCode = current.pollingReason === null ? null : "no_public_url";
      current.subscriptionWork = true;
      current.pending = true;
    }
    // A lost alarm or a stale schedule: whatever is overdue runs now.
    if (!current.run && (current.pending || nextLiveWake(current) <= now)) await this.startRun(current, now);
    else await this.write(current);
    return { created: false };
  }

  /** The tenant was reconnected: runs resume from the stored delta links. */
  async resume(): Promise<boolean> {
    const state = await this.read();
    if (!state) return false;
    if (!state.reconnectRequired) return true;
    state.reconnectRequired = false;
    state.failures = 0;
    state.subscriptionWork = notificationBlocker(state.settings) === null;
    state.lastError = null;
    await this.startRun(state, Date.now());
    return true;
  }

  /**
   * The tenant's application permission may have changed (an admin consent came back): the next run,
   * started now, sets up the subscriptions again instead of waiting for the next retry.
   */
  async retryNotifications(): Promise<boolean> {
    const state = await this.read();
    if (!state || notificationBlocker(state.settings) !== null) return false;
    state.subscriptionWork = true;
    state.pending = true;
    if (!state.run && !state.reconnectRequired) await this.startRun(state, Date.now());
    else await this.write(state);
    return true;
  }

  /** Disconnect: the state goes (late notifications and tasks find nothing); answers what to clean up. */
  async disable(): Promise<{ tenantId: string; subscriptionIds: string[] } | null> {
    const state = await this.read();
    if (!state) return null;
    await this.storage.delete(LIVE_KEY);
    await this.reschedule();
    return { tenantId: state.tenantId, subscriptionIds: state.subscriptions.map((s) => s.id) };
  }

  /**
   * Notifications and lifecycle events from Graph. Only those naming a subscription of this mailbox with
   * its secret count (checked in constant time); the rest are ignored. Answers how many counted.
   */
  async notify(items: IncomingNotification[]): Promise<{ accepted: number; ignored: number }> {
    const state = await this.read();
    let accepted = 0;
    if (!state) return { accepted, ignored: items.length };
    const now = Date.now();
    for (const item of items) {
      const sub = state.subscriptions.find((s) => s.id === item.subscriptionId);
      if (!sub || !secretMatches(sub.secretHash, item.secret)) continue;
      accepted++;
      state.lastNotificationAt = now;
      if (item.lifecycleEvent === "subscriptionRemoved") {
        state.subscriptions = state.subscriptions.filter((s) => s.id !== sub.id);
        state.subscriptionWork = true;
      } else if (item.lifecycleEvent === "reauthorizationRequired") {
        state.subscriptionWork = true;
        sub.renewNow = true;
      }
    }
    if (accepted > 0 && !state.reconnectRequired) {
      state.pending = true;
      if (!state.run) await this.startRun(state, now);
      else await this.write(state);
    } else if (accepted > 0) {
      await this.write(state);
    }
    return { accepted, ignored: items.length - accepted };
  }

  /** The consumer starts run `runId`: the plan it works from, or null when the run is not current. */
  async beginRun(runId: string) {
    const state = await this.read();
    if (!state?.run || state.run.id !== runId || state.reconnectRequired) return null;
    const now = Date.now();
    state.run.expiresAt = now + RUN_LEASE_MS;
    // Due: a renewal, or the retry of a failed set-up (unless the settings rule notifications out).
    const subscriptionWork =
      state.subscriptionWork || (notificationBlocker(state.settings) === null && state.nextSubscriptionCheckAt <= now);
    state.subscriptionWork = false;
    await this.write(state);
    return { ...state, subscriptionWork };
  }

  /** Whether `runId` is the run granted now (a page of any other run is not written). */
  async isCurrentRun(runId: string): Promise<boolean> {
    const state = await this.read();
    return state?.run?.id === runId && !state.reconnectRequired;
  }

  /** Records a folder's progress; false when the run is no longer current (stop). */
  async saveCursor(runId: string, folder: SyncFolder, cursor: FolderCursor): Promise<boolean> {
    const state = await this.read();
    if (!state?.run || state.run.id !== runId) return false;
    state.folders[folder] = cursor;
    state.run.expiresAt = Date.now() + RUN_LEASE_MS;
    await this.write(state);
    return true;
  }

  /** Stores the subscriptions a run created or renewed; false when the run is not current (delete them). */
  async recordSubscriptions(runId: string, update: SubscriptionUpdate): Promise<boolean> {
    const state = await this.read();
    if (!state?.run || state.run.id !== runId) return false;
    state.subscriptions = update.subscriptions;
    state.pollingReason = update.pollingReason;
    state.pollingReasonCode = update.pollingReasonCode;
    state.nextSubscriptionCheckAt = update.nextCheckAt;
    await this.write(state);
    return true;
  }

  /** The run ended: the next poll is scheduled and a pending run starts. */
  async finishRun(runId: string, outcome: RunOutcome): Promise<void> {
    const state = await this.read();
    if (!state?.run || state.run.id !== runId) return;
    const now = Date.now();
    const before = previousDegraded(state);
    state.run = null;
    if (outcome.reconnectRequired) {
      state.reconnectRequired = true;
      state.pending = false;
      state.lastError = { message: outcome.error ?? "The Microsoft 365 connection must be reconnected", at: now };
      this.noteDegraded(state, outcome, before, now);
      await this.write(state);
      logEvent("warn", "mailbox_live_reconnect_required", { orgId: state.orgId });
      return this.sendTransition(state);
    }
    if (outcome.error) {
      state.failures++;
      state.lastError = { message: outcome.error.slice(0, 500), at: now };
    } else {
      state.failures = 0;
      state.lastDeltaAt = now;
      state.lastError = null;
    }
    this.noteDegraded(state, outcome, before, now);
    state.nextPollAt = nextPollAfterRun(state, now);
    if (outcome.more) state.pending = true;
    if (state.pending) await this.startRun(state, now);
    else await this.write(state);
    return this.sendTransition(state);
  }

  /** Sets `degraded` after a run and, on a flip, the transition event to send (stored with the state). */
  private noteDegraded(state: LiveState, outcome: RunOutcome, before: string | null, now: number) {
    state.degraded = degradedReason(state, outcome);
    noteTransition(state, before, now);
  }

  /**
   * Writes the state's unsent transition event to D1 (after the state itself is stored, see
   * live-events.ts) and clears it, unless a newer one replaced it meanwhile.
   */
  private async sendTransition(state: LiveState): Promise<void> {
    const event = state.unsentEvent;
    if (!event || !(await writeTransition(this.services, state, event))) return;
    const current = await this.read();
    if (current?.unsentEvent?.id !== event.id) return;
    current.unsentEvent = null;
    await this.storage.put(LIVE_KEY, current);
  }

  /** The alarm's live part: a lapsed run is given up; a due poll, renewal or pending run starts. */
  async onAlarm(): Promise<void> {
    const unsent = await this.read();
    if (unsent?.unsentEvent) await this.sendTransition(unsent);
    const state = await this.read();
    if (!state || state.reconnectRequired) {
      if (state?.run && state.run.expiresAt <= Date.now()) {
        state.run = null;
        await this.write(state);
      }
      return;
    }
    const now = Date.now();
    if (state.run && state.run.expiresAt <= now) {
      logEvent("warn", "mailbox_live_run_lapsed", { orgId: state.orgId });
      state.run = null;
      state.pending = true;
    }
    if (state.run) return this.write(state);
    if (state.nextSubscriptionCheckAt <= now) state.subscriptionWork = true;
    if (state.pending || state.nextPollAt <= now || state.subscriptionWork) await this.startRun(state, now);
    else await this.write(state);
  }

  async view() {
    return liveView((await this.read()) ?? null, Date.now());
  }

  /** Grants a run and sends it to the queue; if the send fails, the alarm retries shortly. */
  private async startRun(state: LiveState, now: number) {
    const runId = crypto.randomUUID();
    state.run = { id: runId, expiresAt: now + RUN_LEASE_MS };
    state.pending = false;
    await this.write(state);
    const task: LiveTask = { kind: "live", orgId: state.orgId, mailbox: state.mailbox, runId };
    try {
      await this.services.queues.mailboxSync.send(task);
    } catch (err) {
      logEvent("warn", "mailbox_live_enqueue_failed", {
        orgId: state.orgId,
        message: err instanceof Error ? err.message.slice(0, 200) : String(err),
      });
      state.run = { id: runId, expiresAt: now + SEND_RETRY_MS };
      state.pending = true;
      await this.write(state);
    }
  }
}
