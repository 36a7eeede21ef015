import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { auditColumns } from "./audit";

// Outbound webhooks: endpoints, the transactional event outbox and one delivery per
// (event, endpoint). See src/db/outbox/ (their SQL) and src/features/webhooks/ (endpoints, delivery).

/**
 * A customer's webhook endpoint. The signing secret is stored only sealed (TOKEN_ENCRYPTION_KEYS, bound
 * to the endpoint); after a rotation the previous secret keeps signing until `previous_secret_expires_at`.
 * `event_types` null: every event type. `failing_since`: the first failed delivery since the last success.
 */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    url: text("url").notNull(),
    description: text("description"),
    eventTypes: text("event_types", { mode: "json" }).$type<string[] | null>(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    disabledReason: text("disabled_reason"),
    secretSealed: text("secret_sealed").notNull(),
    previousSecretSealed: text("previous_secret_sealed"),
    previousSecretExpiresAt: text("previous_secret_expires_at"),
    failingSince: text("failing_since"),
    ...auditColumns,
  },
  (t) => [index("webhook_endpoints_org_created_idx").on(t.orgId, t.createdAt)],
);

/**
 * The outbox: one row per event, written in the same `db.batch` as the state change it reports. `id` is
 * the `webhook-id` of every delivery of the event; `payload` is the exact JSON body that is signed and sent.
 */
export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    type: text("type").notNull(),
    payload: text("payload").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("webhook_events_org_created_idx").on(t.orgId, t.createdAt)],
);

export const WEBHOOK_DELIVERY_STATUSES = ["pending", "delivered", "failed", "cancelled"] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/**
 * One event to one endpoint: written with the event (fan-out inside the same batch), then sent through
 * the `webhook-deliveries` queue. `attempts` counts sends; `enqueued_at` is when the pending attempt was
 * handed to the queue (null: not yet, the dispatcher picks it up); `locked_until` is the lease of the
 * consumer sending it, so a duplicate queue message never sends the same attempt twice.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    eventId: text("event_id").notNull(),
    endpointId: text("endpoint_id").notNull(),
    eventType: text("event_type").notNull(),
    status: text("status", { enum: WEBHOOK_DELIVERY_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    lastResponseBody: text("last_response_body"),
    nextAttemptAt: text("next_attempt_at"),
    enqueuedAt: text("enqueued_at"),
    lockedUntil: text("locked_until"),
    deliveredAt: text("delivered_at"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_endpoint_event_uq").on(t.endpointId, t.eventId),
    index("webhook_deliveries_org_endpoint_created_idx").on(t.orgId, t.endpointId, t.createdAt, t.id),
    index("webhook_deliveries_pending_idx").on(t.status, t.nextAttemptAt),
  ],
);

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookEventRow = typeof webhookEvents.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
