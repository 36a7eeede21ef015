import { forEachConcurrently } from "@/lib/concurrency";
import { logEvent } from "@/lib/log";
import { type QueueWork, RetryLater } from "@/lib/queue-work";
import type { AppEnv } from "@/lib/types";
import { QUEUES, type QueueName, type QueuePolicy } from "./queue-table";
import { servicesFor } from "./services";

/**
 * The queue entry: one consumer per queue name (queue-table.ts holds each queue's policy), an unknown queue
 * is an error, and the acknowledge / retry / give-up policy lives here, so the work functions see only a
 * message's body. Each queue's work is `import()`ed on its first batch (startup stays small).
 */

// biome-ignore lint/suspicious/noExplicitAny: each queue's work takes its own body type, checked by its module.
type LoadedWork = { work: QueueWork<any>; resend?: Queue };

const WORK: Record<QueueName, (env: AppEnv) => Promise<LoadedWork>> = {
  "mailbox-sync": syncTasks,
  "mailbox-sync-dlq": syncTasks,
  "webhook-deliveries": webhookDeliveries,
  "webhook-deliveries-dlq": webhookDeliveries,
};

async function syncTasks(env: AppEnv): Promise<LoadedWork> {
  const { syncTaskWork } = await import("@/features/mailboxes/sync/queue-consumer");
  const services = servicesFor(env);
  return { work: syncTaskWork(services), resend: services.queues.mailboxSync };
}

async function webhookDeliveries(env: AppEnv): Promise<LoadedWork> {
  const { webhookDeliveryWork } = await import("@/features/webhooks/deliver");
  return { work: webhookDeliveryWork(servicesFor(env)) };
}

const isKnown = (queue: string): queue is QueueName => Object.hasOwn(QUEUES, queue);

export async function consumeBatch(batch: MessageBatch<unknown>, env: AppEnv): Promise<void> {
  if (!isKnown(batch.queue)) {
    logEvent("error", "queue_unknown", { queue: batch.queue, messages: batch.messages.length });
    throw new Error(`No consumer for queue ${batch.queue}: add it to src/entry/queue-table.ts`);
  }
  const policy: QueuePolicy = QUEUES[batch.queue];
  const { work, resend } = await WORK[batch.queue](env);
  const handle = (message: Message<unknown>) => handleMessage(message, { policy, work, resend });
  const { concurrency } = work;
  if (!concurrency) await Promise.all(batch.messages.map(handle));
  else {
    const groups = new Map<string, Message<unknown>[]>();
    for (const message of batch.messages) {
      const key = concurrency.groupOf(message.body);
      groups.set(key, [...(groups.get(key) ?? []), message]);
    }
    await Promise.all([...groups.values()].map((group) => forEachConcurrently(group, concurrency.perGroup, handle)));
  }
  await work.afterBatch?.();
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 500);

async function handleMessage(message: Message<unknown>, queue: { policy: QueuePolicy } & LoadedWork) {
  const { policy, work, resend } = queue;
  const body = message.body;
  try {
    if (policy.deadLetters) await work.giveUp(body, work.exhaustedReason);
    else await work.run(body);
    message.ack();
    return;
  } catch (err) {
    if (err instanceof RetryLater && resend) {
      // A new message after the delay: it does not count as a failed attempt.
      await resend.send(err.next, { delaySeconds: Math.max(1, Math.ceil(err.delaySeconds)) });
      message.ack();
      return;
    }
    work.logFailure(body, err, message.attempts);
    if (message.attempts >= policy.maxRetries && policy.whenExhausted === "give-up") {
      await work.giveUp(body, errorText(err)).catch(() => undefined);
      message.ack();
      return;
    }
    message.retry(policy.backoff === "exponential-60" ? { delaySeconds: Math.min(60, 2 ** message.attempts) } : {});
  }
}
