import type { SyncFolder } from "@/clients/graph/mail";
import type { Services } from "@/lib/services";
import type { MailboxLiveStatus, PollingReasonCode } from "@/shared/mailbox-live";
import type { ResyncRound } from "./resync-sweep";

/**
 * The live state of one mailbox, kept in its Durable Object (MailboxSyncLock) and nowhere else: the delta
 * cursor per folder, the Graph subscriptions with their expiry, the next poll, the one running and the one
 * pending delta run. Pure helpers here; the object's storage and alarm are in live-store.ts.
 */

export interface LiveSettings {
  /** The Worker's external https origin (notification URLs); empty: polling only. */
  publicBaseUrl: string;
  pollSeconds: number;
  backstopSeconds: number;
  subscriptionLifetimeMinutes: number;
}

export interface FolderCursor {
  /** The next request: a nextLink (a round in progress) or a deltaLink (`complete`); absent: a new round. */
  link?: string;
  complete: boolean;
  /** When the round in progress started (ms). */
  roundStartedAt?: number;
  /** When the last complete round started (ms), for the window of a resync. */
  lastRoundAt?: number;
  /** The round in progress is a resync (its token had expired): what its end tombstones by absence. */
  resync?: ResyncRound;
}

export interface LiveSubscription {
  id: string;
  folder: SyncFolder;
  expiresAt: number;
  /** SHA-256 (hex) of the subscription's 256-bit secret; the secret itself is only ever at Graph. */
  secretHash: string;
  /** Graph asked for reauthorization (lifecycle event): renew at the next run. */
  renewNow?: boolean;
}

export interface LiveError {
  message: string;
  at: number;
}

export interface LiveState {
  orgId: string;
  mailbox: string;
  tenantId: string;
  /** Lower bound (ISO) of the first delta round of each folder: the connect time minus a margin. */
  since: string;
  settings: LiveSettings;
  folders: Record<SyncFolder, FolderCursor>;
  subscriptions: LiveSubscription[];
  /** Why the mailbox is not on notifications (null once its subscriptions are active). */
  pollingReason: string | null;
  /** The reason as a code (absent in states stored before codes existed: derived from the text). */
  pollingReasonCode?: PollingReasonCode | null;
  /** Subscriptions need work at the next run (create, renew, recreate). */
  subscriptionWork: boolean;
  /** Earliest time the subscriptions are looked at again (renewal, or a retry of a failed creation). */
  nextSubscriptionCheckAt: number;
  nextPollAt: number;
  run: { id: string; expiresAt: number } | null;
  pending: boolean;
  /** The delegated connection cannot be used: nothing runs until the tenant is reconnected. */
  reconnectRequired: boolean;
  lastNotificationAt: number | null;
  lastDeltaAt: number | null;
  lastError: LiveError | null;
  /** Failed runs in a row (backoff of the next poll). */
  failures: number;
  /**
   * Why live sync counts as degraded (reconnect required, or DEGRADED_AFTER_FAILURES failed runs in a
   * row); null (or absent, in states stored before it existed) while it receives changes. A flip emits
   * `mailbox.live.degraded` / `mailbox.live.recovered` (live-events.ts).
   */
  degraded?: string | null;
  /** A transition event decided here but not yet written to D1 (retried by the alarm). */
  unsentEvent?: LiveTransitionEvent | null;
}

export interface LiveTransitionEvent {
  /** The webhook event id, fixed when the transition happened, so a retry never writes it twice. */
  id: string;
  type: "mailbox.live.degraded" | "mailbox.live.recovered";
  reason: string | null;
  at: number;
}

/** Failed delta runs in a row after which live sync counts as degraded (a single failure does not). */
export const DEGRADED_AFTER_FAILURES = 3;

/** What the first delta round reaches back before the connect (clock skew, mail in flight). */
export const BASELINE_MARGIN_MS = 10 * 60 * 1000;
/** A delta run not finished by then (its consumer crashed) is given up and the next one may start. */
export const RUN_LEASE_MS = 5 * 60 * 1000;
/** A failed subscription creation is retried after this long (the backstop poll runs meanwhile). */
export const SUBSCRIPTION_RETRY_MS = 60 * 60 * 1000;
/** Longest wait between polls after failures. */
const MAX_BACKOFF_MS = 60 * 60 * 1000;
/** A resync after an expired delta token reaches back this far before the last complete round. */
export const RESYNC_LOOKBACK_MS = 7 * 24 * 60 * 60 * 1000;

export function liveSettings(services: Pick<Services, "config">): LiveSettings {
  const config = services.config;
  return {
    publicBaseUrl: config.PUBLIC_BASE_URL,
    pollSeconds: config.MAILBOX_POLL_INTERVAL_SECONDS,
    backstopSeconds: config.MAILBOX_BACKSTOP_POLL_SECONDS,
    subscriptionLifetimeMinutes: config.MAILBOX_SUBSCRIPTION_LIFETIME_MINUTES,
  };
}

/** Why notifications cannot be used with these settings (null: they can be tried). */
export function notificationBlocker(settings: LiveSettings): string | null {
  if (!settings.publicBaseUrl) return "PUBLIC_BASE_URL is not set: change notifications need a public https URL";
  try {
    const url = new URL(settings.publicBaseUrl);
    if (url.protocol === "https:") return null;
    if (url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname)) return null;
  } catch {
    // reported below
  }
  return "PUBLIC_BASE_URL must be an https origin for change notifications";
}

export function newLiveState(
  input: { orgId: string; mailbox: string; tenantId: string; since: string },
  settings: LiveSettings,
  now: number,
): LiveState {
  return {
    ...input,
    settings,
    folders: { inbox: { complete: false }, sentitems: { complete: false } },
    subscriptions: [],
    pollingReason: notificationBlocker(settings),
    pollingReasonCode: notificationBlocker(settings) === null ? null : "no_public_url",
    subscriptionWork: notificationBlocker(settings) === null,
    nextSubscriptionCheckAt: Number.POSITIVE_INFINITY,
    nextPollAt: now,
    run: null,
    pending: false,
    reconnectRequired: false,
    lastNotificationAt: null,
    lastDeltaAt: null,
    lastError: null,
    failures: 0,
  };
}

/** Notifications are active: a live subscription for every folder. */
export function notificationsActive(state: LiveState, now: number): boolean {
  const live = (folder: SyncFolder) => state.subscriptions.some((s) => s.folder === folder && s.expiresAt > now);
  return state.pollingReason === null && live("inbox") && live("sentitems");
}

/** Seconds between polls: the backstop while notifications are active, else the poll interval. */
export function pollSeconds(state: LiveState, now: number): number {
  return notificationsActive(state, now) ? state.settings.backstopSeconds : state.settings.pollSeconds;
}

/** When the next poll is due after a run (backoff after failures). */
export function nextPollAfterRun(state: LiveState, now: number): number {
  const base = pollSeconds(state, now) * 1000;
  if (state.failures === 0) return now + base;
  return now + Math.min(base * 2 ** Math.min(state.failures, 10), Math.max(MAX_BACKOFF_MS, base));
}

/** A subscription is renewed once half its lifetime is left (well before Graph drops it). */
export function renewalDueAt(sub: LiveSubscription, settings: LiveSettings): number {
  return sub.expiresAt - (settings.subscriptionLifetimeMinutes * 60_000) / 2;
}

/** The earliest time something of the live state is due (Infinity: nothing scheduled). */
export function nextLiveWake(state: LiveState): number {
  if (state.reconnectRequired) return state.run?.expiresAt ?? Number.POSITIVE_INFINITY;
  const times = [state.nextPollAt, state.nextSubscriptionCheckAt];
  if (state.run) times.push(state.run.expiresAt);
  return Math.min(...times);
}

/** Why the mailbox polls, as a code (null when it is live). */
function reasonCode(state: LiveState, status: MailboxLiveStatus): PollingReasonCode | null {
  if (status === "reconnect_required") return "reconnect_required";
  if (status !== "polling") return null;
  if (state.pollingReasonCode) return state.pollingReasonCode;
  if (notificationBlocker(state.settings) !== null) return "no_public_url";
  // States stored before codes: a reason text means the last set-up failed.
  return state.pollingReason === null ? "subscription_pending" : "subscription_failed";
}

/** The API's view of a live state (getMailboxLiveSync). */
export function liveView(state: LiveState | null, now: number) {
  const iso = (ms: number | null | undefined) =>
    ms === null || ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
  if (!state) {
    return {
      status: "paused" as MailboxLiveStatus,
      polling_reason: "Live sync has not started for this mailbox yet; the hourly schedule starts it",
      polling_reason_code: "not_started" as PollingReasonCode,
      subscriptions: [],
      last_notification_at: null,
      last_delta_at: null,
      next_poll_at: null,
      poll_interval_seconds: 0,
      last_error: null,
    };
  }
  const status: MailboxLiveStatus = state.reconnectRequired
    ? "reconnect_required"
    : notificationsActive(state, now)
      ? "live"
      : "polling";
  return {
    status,
    polling_reason: status !== "polling" ? null : (state.pollingReason ?? "Change notifications are being set up"),
    polling_reason_code: reasonCode(state, status),
    subscriptions: state.subscriptions
      .filter((s) => s.expiresAt > now)
      .map((s) => ({ folder: s.folder, expires_at: iso(s.expiresAt) as string })),
    last_notification_at: iso(state.lastNotificationAt),
    last_delta_at: iso(state.lastDeltaAt),
    next_poll_at: state.reconnectRequired ? null : iso(state.nextPollAt),
    poll_interval_seconds: pollSeconds(state, now),
    last_error: state.lastError ? { message: state.lastError.message, at: iso(state.lastError.at) as string } : null,
  };
}
