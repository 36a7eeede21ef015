/**
 * The `webhook-deliveries` queue consumer: one message is one attempt of one (event, endpoint) delivery.
 * Messages of one batch run concurrently across endpoints and at most WEBHOOK_ENDPOINT_CONCURRENCY at a
 * time per endpoint, so a slow endpoint never holds up another's deliveries. Each attempt is claimed in
 * D1 first (a duplicate message sends nothing), the URL is checked again, the payload signed and sent;
 * the outcome decides: delivered, retry later (the schedule, or Retry-After on 429/503), or failed (410
 * disables the endpoint; so does failing for WEBHOOK_DISABLE_AFTER_FAILING_SECONDS).
 */

import { dispatchWebhookDeliveries, type WebhookDeliveryMessage } from "@/db/outbox/dispatch";
import {
  type AttemptResult,
  type ClaimedAttempt,
  claimAttempt,
  releaseEnqueued,
  saveAttempt,
} from "@/db/outbox/webhook-deliveries.store";
import type { WebhookEndpointRow } from "@/db/schema";
import { logEvent } from "@/lib/log";
import type { QueueWork } from "@/lib/queue-work";
import type { Services } from "@/lib/services";
import { type WebhookConfig, webhookConfig } from "./config";
import { signingSecrets } from "./endpoint-secrets";
import { nextDelaySeconds } from "./retry";
import { type SendOutcome, sendDelivery } from "./send";
import { webhookUrlProblem } from "./url-guard";

const cancelled = (error: string): AttemptResult => ({
  status: "cancelled",
  statusCode: null,
  error,
  responseBody: null,
  nextAttemptAt: null,
  endpoint: null,
});

/** What to store after a failed send: a retry, or the end (and whether the endpoint is disabled). */
function afterFailure(
  config: WebhookConfig,
  endpoint: WebhookEndpointRow,
  attempts: number,
  outcome: SendOutcome,
  now: Date,
): AttemptResult & { delaySeconds?: number } {
  const base = { statusCode: outcome.statusCode, error: outcome.error, responseBody: outcome.responseBody };
  const iso = now.toISOString();
  if (outcome.statusCode === 410) {
    const disabledReason = `Disabled at ${iso}: the endpoint answered 410 Gone`;
    return { ...base, status: "failed", nextAttemptAt: null, endpoint: { disabledReason } };
  }
  const failingSince = endpoint.failingSince ?? iso;
  if (+now - Date.parse(failingSince) >= config.disableAfterFailingMs) {
    const days = Math.round(config.disableAfterFailingMs / 86_400_000);
    const disabledReason = `Disabled at ${iso}: deliveries failed since ${failingSince} (over ${days} days); last error: ${outcome.error}`;
    return { ...base, status: "failed", nextAttemptAt: null, endpoint: { disabledReason } };
  }
  const delaySeconds = nextDelaySeconds(config.retryDelaysSeconds, attempts, outcome.retryAfterSeconds);
  if (delaySeconds === undefined) {
    return { ...base, status: "failed", nextAttemptAt: null, endpoint: { failingSince } };
  }
  const nextAttemptAt = new Date(+now + delaySeconds * 1000).toISOString();
  return { ...base, status: "pending", nextAttemptAt, endpoint: { failingSince }, delaySeconds };
}

async function attemptOutcome(config: WebhookConfig, claimed: ClaimedAttempt, now: Date) {
  const { delivery, endpoint, payload } = claimed;
  if (!endpoint || payload === null) return cancelled("The webhook or its event no longer exists");
  if (!endpoint.enabled)
    return cancelled(`The webhook is disabled${endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ""}`);
  const problem = webhookUrlProblem(endpoint.url, config.allowInsecureUrls);
  if (problem) return { ...cancelled(`Not sent: ${problem}`), status: "failed" as const };
  let secrets: string[];
  try {
    secrets = await signingSecrets(config.encryptionKeys, endpoint, now);
  } catch (err) {
    // Never the secret itself: only that it did not open (a key missing from TOKEN_ENCRYPTION_KEYS).
    logEvent("error", "webhook_secret_unavailable", { endpointId: endpoint.id, error: (err as Error).name });
    const outcome = {
      ok: false,
      statusCode: null,
      error: "Not sent: the signing secret could not be opened",
      responseBody: null,
    };
    return afterFailure(config, endpoint, delivery.attempts, outcome, now);
  }
  const outcome = await sendDelivery({
    url: endpoint.url,
    eventId: delivery.eventId,
    payload,
    secrets,
    timeoutMs: config.timeoutMs,
    now,
  });
  if (outcome.ok) {
    // The endpoint row is written only when it was failing (most deliveries write the delivery alone).
    const endpointAfter = endpoint.failingSince ? { healthy: true as const } : null;
    const { statusCode, responseBody } = outcome;
    return {
      status: "delivered" as const,
      statusCode,
      error: null,
      responseBody,
      nextAttemptAt: null,
      endpoint: endpointAfter,
    };
  }
  return afterFailure(config, endpoint, delivery.attempts, outcome, now);
}

/** Runs one message's attempt and stores its outcome; a retry is re-sent to the queue with its delay. */
export async function deliverAttempt(
  services: Pick<Services, "db" | "queues">,
  config: WebhookConfig,
  message: WebhookDeliveryMessage,
) {
  const db = services.db;
  const now = new Date();
  const claimed = await claimAttempt(db, message, now, config.timeoutMs);
  if (!claimed) return; // a duplicate or stale message: that attempt is taken or done
  const result: AttemptResult & { delaySeconds?: number } = await attemptOutcome(config, claimed, now);
  await saveAttempt(db, claimed.delivery, result, new Date());
  if (result.status !== "pending") return;
  const queue = services.queues.webhookDeliveries as Queue<WebhookDeliveryMessage> | undefined;
  try {
    if (!queue) throw new Error("WEBHOOK_DELIVERY_QUEUE is not bound");
    await queue.send(
      { ...message, attempt: claimed.delivery.attempts + 1 },
      { delaySeconds: result.delaySeconds ?? 0 },
    );
  } catch (err) {
    logEvent("warn", "webhook_retry_enqueue_failed", { deliveryId: message.deliveryId, error: (err as Error).message });
    await releaseEnqueued(db, claimed.delivery);
  }
}

/**
 * The `webhook-deliveries` queue's work (src/entry/queues.ts acknowledges and retries): one message is one
 * attempt, run concurrently across endpoints and at most WEBHOOK_ENDPOINT_CONCURRENCY at a time per
 * endpoint. A message that reaches the dead-letter queue needs nothing: its attempt stays pending in D1 and
 * the sweep after every batch (what a crash left behind: committed events never dispatched, lost retry
 * messages) sends it again.
 */
export function webhookDeliveryWork(
  services: Pick<Services, "db" | "queues" | "config" | "tokenKeys">,
): QueueWork<WebhookDeliveryMessage> {
  const config = webhookConfig(services);
  return {
    run: (body) => deliverAttempt(services, config, body),
    giveUp: async () => {},
    exhaustedReason: "The delivery message exhausted its queue retries",
    logFailure: (body, err) =>
      logEvent("error", "webhook_delivery_error", { deliveryId: body?.deliveryId, error: (err as Error).message }),
    concurrency: { groupOf: (body) => body?.endpointId ?? "", perGroup: config.endpointConcurrency },
    afterBatch: async () => {
      await dispatchWebhookDeliveries(services, { sweep: true }).catch((err) =>
        logEvent("warn", "webhook_sweep_failed", { error: (err as Error).message }),
      );
    },
  };
}
