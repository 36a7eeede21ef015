import { isUniqueViolation } from "@/db/client";
import { eventStatements, kickWebhookDeliveries, newEventId } from "@/db/outbox";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import { DEGRADED_AFTER_FAILURES, type LiveState, type LiveTransitionEvent } from "./state";

/**
 * `mailbox.live.degraded` / `mailbox.live.recovered`. The live state lives in the mailbox's Durable
 * Object, not in D1, so no batch can hold both: the object decides a transition and stores it with the
 * state (`unsentEvent`, with its event id fixed), then writes the event to D1 (`onlyIfChanged: false`)
 * and clears it. Should that write fail, the alarm writes it again with the same id; a copy that did
 * land makes the retry a unique violation, i.e. done. So each transition is written once.
 */

/** Why the state counts as degraded now (null: it receives changes). */
export function degradedReason(state: LiveState, outcome: { error?: string; reconnectRequired?: boolean }) {
  if (state.reconnectRequired) return state.lastError?.message ?? "The Microsoft 365 connection must be reconnected";
  if (!outcome.error) return null;
  if (state.failures >= DEGRADED_AFTER_FAILURES) {
    return `${state.failures} delta runs failed in a row: ${outcome.error}`.slice(0, 500);
  }
  return previousDegraded(state);
}

/** The degraded reason stored before this change (states from before the field: reconnect required). */
export function previousDegraded(state: LiveState): string | null {
  if (state.degraded !== undefined) return state.degraded;
  return state.reconnectRequired ? (state.lastError?.message ?? "reconnect required") : null;
}

/** Records the flip from `before` to `state.degraded` as the state's unsent event (null: no flip). */
export function noteTransition(state: LiveState, before: string | null, now: number) {
  const after = state.degraded ?? null;
  if ((before === null) === (after === null)) return;
  state.unsentEvent = {
    id: newEventId(),
    type: after === null ? "mailbox.live.recovered" : "mailbox.live.degraded",
    reason: after,
    at: now,
  };
}

/** Writes the unsent event to the outbox; answers whether it is written (now or before). */
export async function writeTransition(
  services: Pick<Services, "db" | "queues">,
  state: LiveState,
  event: LiveTransitionEvent,
): Promise<boolean> {
  const db = services.db;
  const base = { orgId: state.orgId, id: event.id, at: new Date(event.at) };
  const statements =
    event.type === "mailbox.live.degraded"
      ? eventStatements(
          db,
          { ...base, type: event.type, data: { mailbox: state.mailbox, reason: event.reason ?? "" } },
          { onlyIfChanged: false },
        )
      : eventStatements(db, { ...base, type: event.type, data: { mailbox: state.mailbox } }, { onlyIfChanged: false });
  try {
    await db.batch(statements);
  } catch (err) {
    if (isUniqueViolation(err, "webhook_events.id")) return true; // an earlier attempt wrote it
    logEvent("warn", "mailbox_live_event_failed", { orgId: state.orgId, error: (err as Error).message.slice(0, 200) });
    return false;
  }
  await kickWebhookDeliveries(services, state.orgId);
  return true;
}
