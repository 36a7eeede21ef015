import { z } from "@hono/zod-openapi";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import type { MailboxSyncLock } from "../sync/sync-lock";
import type { IncomingNotification } from "./live-store";

/**
 * Graph's change notifications and lifecycle events (public endpoints, no bearer token: a notification
 * is trusted only through its subscription's secret). Nothing here calls Graph: each notification is
 * handed to its mailbox's Durable Object, which checks the subscription and secret and at most marks a
 * delta run pending, so the answer (202) comes in milliseconds, well within Graph's 3 s.
 */

/** Graph's validation tokens are short opaque strings; anything longer is refused. */
const MAX_VALIDATION_TOKEN = 1024;
/** Notifications Graph batches into one request (it sends far fewer). */
const MAX_NOTIFICATIONS = 1000;
const OBJECT_ID = /^[0-9a-f]{64}$/;

const notification = z.object({
  subscriptionId: z.string().min(1).max(200),
  clientState: z.string().max(256).nullish(),
  lifecycleEvent: z.string().max(64).nullish(),
});
const payload = z.object({ value: z.array(z.unknown()).max(MAX_NOTIFICATIONS) });

/** The validation handshake: the token to echo as text/plain, or null when the request is not one. */
export function validationEcho(token: string | undefined): string | null {
  if (token === undefined) return null;
  return token.slice(0, MAX_VALIDATION_TOKEN);
}

/**
 * Routes each notification to its mailbox's object (the object id is the first part of clientState);
 * answers how many were accepted and ignored. Invalid payloads count as ignored.
 */
export async function receiveNotifications(
  services: Pick<Services, "mailboxObjects">,
  body: unknown,
  kind: "change" | "lifecycle",
) {
  const parsed = payload.safeParse(body);
  if (!parsed.success) {
    logEvent("warn", "mailbox_live_notification_invalid", { kind });
    return { accepted: 0, ignored: 1 };
  }
  const groups = new Map<string, IncomingNotification[]>();
  let ignored = 0;
  for (const raw of parsed.data.value) {
    const item = notification.safeParse(raw);
    const [objectId, secret] = splitClientState(item.success ? item.data.clientState : undefined);
    if (!item.success || !objectId || !secret) {
      ignored++;
      continue;
    }
    const list = groups.get(objectId) ?? [];
    list.push({
      subscriptionId: item.data.subscriptionId,
      secret,
      ...(kind === "lifecycle" && item.data.lifecycleEvent && { lifecycleEvent: item.data.lifecycleEvent }),
    });
    groups.set(objectId, list);
  }
  const ns = services.mailboxObjects as DurableObjectNamespace<MailboxSyncLock>;
  let accepted = 0;
  await Promise.all(
    [...groups].map(async ([objectId, items]) => {
      let id: DurableObjectId;
      try {
        id = ns.idFromString(objectId);
      } catch {
        ignored += items.length;
        return;
      }
      const result = await ns.get(id).notifyLive(items);
      accepted += result.accepted;
      ignored += result.ignored;
    }),
  );
  // Ids and counts only: never a clientState.
  if (ignored > 0) logEvent("warn", "mailbox_live_notification_ignored", { kind, ignored, accepted });
  return { accepted, ignored };
}

function splitClientState(clientState: string | null | undefined): [string?, string?] {
  if (!clientState) return [];
  const dot = clientState.indexOf(".");
  const objectId = clientState.slice(0, dot);
  if (dot < 0 || !OBJECT_ID.test(objectId)) return [];
  return [objectId, clientState.slice(dot + 1)];
}
