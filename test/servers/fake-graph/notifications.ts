import { NOTIFICATION_DEADLINE_MS, send } from "./outbox";
import {
  type Delivery,
  type FakeMailbox,
  type FakeSubscription,
  type Folder,
  liveSubscriptions,
  mailboxes,
} from "./state";

/**
 * Change notifications and lifecycle events, shaped as Microsoft documents them (changeNotificationCollection):
 * change: `{"value": [{subscriptionId, subscriptionExpirationDateTime, clientState, changeType, resource,
 * resourceData: {"@odata.type", "@odata.id", "@odata.etag", id}, tenantId}]}` to the notificationUrl;
 * lifecycle: `{"value": [{subscriptionId, lifecycleEvent, clientState, subscriptionExpirationDateTime, tenantId}]}`
 * to the lifecycleNotificationUrl. Each is queued in the outbox; the status the Worker answered (or a
 * timeout) is recorded in the mailbox's `notifications`. Graph would retry a 5xx; the fake only records it.
 */

export type ChangeType = "created" | "updated" | "deleted";

/** Queues `payload` to `url` for `sub`; records the delivery (and the status it gets) in the mailbox. */
function queue(
  sub: FakeSubscription,
  url: string,
  payload: unknown,
  delivery: Omit<Delivery, "outbox_id" | "queued_at" | "status" | "subscription_id">,
): string {
  const record: Delivery = {
    ...delivery,
    outbox_id: "",
    subscription_id: sub.id,
    queued_at: new Date().toISOString(),
    status: null,
  };
  const sent = send(
    {
      url,
      headers: { "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify(payload),
      purpose: delivery.kind === "change" ? "notification" : "lifecycle",
      tenant: sub.tenant,
      mailbox: sub.mailbox,
      subscription_id: sub.id,
    },
    {
      answerWithinMs: NOTIFICATION_DEADLINE_MS,
      onLate: (a) => {
        record.status = a.status;
        record.late = true;
      },
    },
  );
  record.outbox_id = sent.id;
  const mailbox = sub.mailbox ? mailboxes.get(sub.mailbox) : undefined;
  mailbox?.notifications.push(record);
  sent.answer.then((a) => {
    if (a) record.status = a.status;
    else if (record.status === null) record.error = "timeout";
  });
  return sent.id;
}

/** Queues one change notification of `sub` for message `id` (`copies` times: Graph may deliver duplicates). */
export function sendChange(
  sub: FakeSubscription,
  changeType: ChangeType,
  ids: { immutableId: string; restId: string },
  copies = 1,
) {
  const mailbox = sub.mailbox ? mailboxes.get(sub.mailbox) : undefined;
  if (!sub.notificationUrl || !mailbox) return [];
  const id = sub.immutableIds ? ids.immutableId : ids.restId;
  const resource = `Users/${mailbox.userId}/Messages/${id}`;
  const payload = {
    value: [
      {
        subscriptionId: sub.id,
        subscriptionExpirationDateTime: sub.expirationDateTime,
        clientState: sub.clientState,
        changeType,
        resource,
        resourceData: {
          "@odata.type": "#Microsoft.Graph.Message",
          "@odata.id": resource,
          "@odata.etag": `W/"CQAAABYAAA${ids.immutableId.slice(10, 22)}"`,
          id,
        },
        tenantId: sub.tenant,
      },
    ],
  };
  const queued: string[] = [];
  for (let i = 0; i < copies; i++) {
    queued.push(queue(sub, sub.notificationUrl, payload, { kind: "change", change_type: changeType, message_id: id }));
  }
  return queued;
}

/** Notifies every live, unpaused subscription on `folder` of `mailbox` whose changeType includes the change. */
export function notifyChange(
  mailbox: FakeMailbox,
  folder: Folder,
  changeType: ChangeType,
  ids: { immutableId: string; restId: string },
) {
  for (const sub of liveSubscriptions()) {
    if (sub.mailbox !== mailbox.email || sub.paused) continue;
    if (sub.folder !== null && sub.folder !== folder) continue;
    if (!sub.changeType.split(",").includes(changeType)) continue;
    sendChange(sub, changeType, ids);
  }
}

/** Queues a lifecycle event to the subscription's lifecycleNotificationUrl; answers the outbox id (null without one). */
export function sendLifecycle(sub: FakeSubscription, lifecycleEvent: string): string | null {
  if (!sub.lifecycleNotificationUrl) return null;
  const payload = {
    value: [
      {
        subscriptionId: sub.id,
        subscriptionExpirationDateTime: sub.expirationDateTime,
        tenantId: sub.tenant,
        clientState: sub.clientState,
        lifecycleEvent,
      },
    ],
  };
  return queue(sub, sub.lifecycleNotificationUrl, payload, { kind: "lifecycle", lifecycle_event: lifecycleEvent });
}
