/** The HTTP bodies of the webhook operations, built from stored rows (secrets never included). */
import type { WebhookDeliveryRow, WebhookEndpointRow } from "@/db/schema";
import type { WebhookEventType } from "@/shared/webhook-events";

export function toWebhookResponse(row: WebhookEndpointRow, now = new Date()) {
  const rotating = row.previousSecretExpiresAt && Date.parse(row.previousSecretExpiresAt) > +now;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    // Written only from the validated enum (src/features/webhooks/webhooks.schemas.ts).
    event_types: (row.eventTypes as WebhookEventType[] | null) ?? null,
    enabled: row.enabled,
    disabled_reason: row.disabledReason,
    failing_since: row.failingSince,
    previous_secret_expires_at: rotating ? row.previousSecretExpiresAt : null,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export function toDeliveryResponse(row: WebhookDeliveryRow) {
  return {
    id: row.id,
    event_id: row.eventId,
    webhook_id: row.endpointId,
    event_type: row.eventType,
    status: row.status,
    attempts: row.attempts,
    last_status_code: row.lastStatusCode,
    last_error: row.lastError,
    last_response_body: row.lastResponseBody,
    next_attempt_at: row.status === "pending" ? row.nextAttemptAt : null,
    delivered_at: row.deliveredAt,
    created_at: row.createdAt,
  };
}
