/**
 * The outbox: every request the fake Graph sends to the Worker (validation handshakes, change
 * notifications, lifecycle events). In vitest-pool-workers the Worker listens on no port, so a relay
 * inside the test (test/helpers/graph-relay.ts) claims requests with `GET /__outbox`, hands them to the
 * Worker's fetch handler and posts the Worker's answer back with `POST /__outbox/{id}/response`.
 *
 * Deadlines, as Graph's: a handshake must be answered within 10 s of being queued (the POST
 * /subscriptions that caused it is waiting); a notification waits in the outbox until a relay claims it
 * (Graph keeps retrying for hours) and must then be answered within 3 s.
 */

export type Purpose = "validation" | "notification" | "lifecycle";

export interface RelayAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface OutboxEntry {
  id: string;
  method: "POST";
  url: string;
  headers: Record<string, string>;
  body: string;
  purpose: Purpose;
  tenant: string;
  mailbox: string | null;
  subscription_id: string | null;
  queued_at: string;
  claimed_at: string | null;
}

interface Pending {
  entry: OutboxEntry;
  /** Answer deadline after a claim (ms). */
  answerWithinMs: number;
  settle: (answer: RelayAnswer | null) => void;
  timer: ReturnType<typeof setTimeout> | null;
  onLate?: (answer: RelayAnswer) => void;
}

export const HANDSHAKE_DEADLINE_MS = 10_000;
export const NOTIFICATION_DEADLINE_MS = 3_000;

const pending = new Map<string, Pending>();
/** Ids whose deadline passed (an answer to them is recorded as late, then forgotten). */
const expired = new Map<string, (answer: RelayAnswer) => void>();
const waiters = new Set<() => void>();
let sequence = 0;

/**
 * Queues a request; resolves with the Worker's answer, or null when the deadline passes. `onLate`
 * gets an answer that arrives after the deadline.
 */
export function send(
  request: Omit<OutboxEntry, "id" | "method" | "queued_at" | "claimed_at">,
  options: { deadlineMs?: number; answerWithinMs: number; onLate?: (answer: RelayAnswer) => void },
): { id: string; answer: Promise<RelayAnswer | null> } {
  const id = `out-${++sequence}-${crypto.randomUUID().slice(0, 8)}`;
  const entry: OutboxEntry = { id, method: "POST", queued_at: new Date().toISOString(), claimed_at: null, ...request };
  const answer = new Promise<RelayAnswer | null>((resolve) => {
    const item: Pending = {
      entry,
      answerWithinMs: options.answerWithinMs,
      settle: resolve,
      timer: null,
      onLate: options.onLate,
    };
    pending.set(id, item);
    if (options.deadlineMs !== undefined) item.timer = expireAfter(id, options.deadlineMs, options.onLate);
  });
  for (const wake of [...waiters]) wake();
  return { id, answer };
}

function expireAfter(id: string, ms: number, onLate?: (answer: RelayAnswer) => void) {
  const timer = setTimeout(() => {
    const item = pending.get(id);
    if (!item) return;
    pending.delete(id);
    if (onLate) expired.set(id, onLate);
    item.settle(null);
  }, ms);
  timer.unref?.();
  return timer;
}

export interface OutboxFilter {
  tenants: string[];
  mailboxes: string[];
  purposes: string[];
}

function matches(entry: OutboxEntry, filter: OutboxFilter) {
  if (filter.tenants.length && !filter.tenants.includes(entry.tenant)) return false;
  if (filter.mailboxes.length && !(entry.mailbox && filter.mailboxes.includes(entry.mailbox))) return false;
  if (filter.purposes.length && !filter.purposes.includes(entry.purpose)) return false;
  return true;
}

/** Unclaimed requests matching the filter; `claim` marks them taken and starts their answer deadline. */
export function take(filter: OutboxFilter, claim: boolean): OutboxEntry[] {
  const found: OutboxEntry[] = [];
  for (const item of pending.values()) {
    if (item.entry.claimed_at || !matches(item.entry, filter)) continue;
    found.push({ ...item.entry });
    if (!claim) continue;
    item.entry.claimed_at = new Date().toISOString();
    if (!item.timer) item.timer = expireAfter(item.entry.id, item.answerWithinMs, item.onLate);
  }
  return found;
}

/** Like take, but waits up to `waitMs` for a first matching request (long poll). */
export async function takeWaiting(filter: OutboxFilter, claim: boolean, waitMs: number): Promise<OutboxEntry[]> {
  const first = take(filter, claim);
  if (first.length || waitMs <= 0) return first;
  await new Promise<void>((resolve) => {
    const wake = () => {
      waiters.delete(wake);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(wake, waitMs);
    waiters.add(wake);
  });
  return take(filter, claim);
}

/** The Worker's answer to request `id`: "ok", "late" (after the deadline) or "unknown". */
export function answer(id: string, response: RelayAnswer): "ok" | "late" | "unknown" {
  const item = pending.get(id);
  if (item) {
    pending.delete(id);
    if (item.timer) clearTimeout(item.timer);
    item.settle(response);
    return "ok";
  }
  const late = expired.get(id);
  if (late) {
    expired.delete(id);
    late(response);
    return "late";
  }
  return "unknown";
}

/** Drops queued requests of a subscription (Graph stops delivering once a subscription is deleted). */
export function dropForSubscription(subscriptionId: string) {
  for (const [id, item] of pending) {
    if (item.entry.subscription_id !== subscriptionId || item.entry.claimed_at || item.entry.purpose === "validation")
      continue;
    pending.delete(id);
    if (item.timer) clearTimeout(item.timer);
    item.settle(null);
  }
}

export const pendingCount = (filter: OutboxFilter) =>
  [...pending.values()].filter((p) => matches(p.entry, filter)).length;
