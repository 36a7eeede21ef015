/**
 * HTTP schemas of the webhook operations and the documented payload of every event type (the
 * `WebhookEvent` component of /openapi.json is a oneOf, discriminated by `type`, of one component per type).
 */
import { z } from "@hono/zod-openapi";
import { WEBHOOK_DELIVERY_STATUSES } from "@/db/schema";
import {
  WEBHOOK_DESCRIPTION_MAX_LENGTH,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventData,
  type WebhookEventType,
} from "@/shared/webhook-events";

export const WebhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES).openapi("WebhookEventType");

// --- Event payloads ------------------------------------------------------------------------------------

const counters = z
  .object({ total_messages: z.number().int(), processed_messages: z.number().int(), failed_messages: z.number().int() })
  .nullable();
const mailboxSync = z.object({
  mailbox: z.string(),
  sync_id: z.string(),
  status: z.string(),
  counters: z.object({ inbox: counters, sent_items: counters }),
  error: z.string().nullable().optional(),
});

/** The `data` of every event type, as WebhookEventData (src/shared/webhook-events.ts) declares it. */
const EVENT_DATA = {
  "domain.verified": z.object({ domain: z.string(), status: z.literal("verified"), verified_at: z.string() }),
  "domain.degraded": z.object({
    domain: z.string(),
    status: z.string().openapi({ description: "The domain's status now" }),
    previous_status: z.literal("verified"),
    failing_records: z.array(z.string()).openapi({ description: "Keys of the records that no longer verify" }),
  }),
  "domain.deleted": z.object({ domain: z.string() }),
  "outlook.connection.connected": z.object({ tenant_id: z.string(), connected_at: z.string() }),
  "outlook.connection.expired": z.object({
    tenant_id: z.string(),
    reason: z.string().openapi({ description: "OAuth error code of the refresh that failed" }),
    action: z.literal("reconnect"),
  }),
  "mailbox.connected": z.object({ mailbox: z.string(), tenant_id: z.string(), shared_inbox_id: z.string() }),
  "mailbox.disconnected": z.object({ mailbox: z.string(), tenant_id: z.string() }),
  "mailbox.sync.completed": mailboxSync,
  "mailbox.sync.failed": mailboxSync,
  "mailbox.live.degraded": z.object({ mailbox: z.string(), reason: z.string() }),
  "mailbox.live.recovered": z.object({ mailbox: z.string() }),
  "message.received": z.object({
    message_id: z.string(),
    mailbox: z.string(),
    shared_inbox_id: z.string(),
    subject: z.string().nullable(),
    from: z.object({ address: z.string().nullable(), name: z.string().nullable() }),
    received_at: z.string().nullable(),
  }),
  "webhook.test": z.object({ webhook_id: z.string(), message: z.string() }),
} satisfies { [T in WebhookEventType]: z.ZodType<WebhookEventData[T]> };

const DESCRIPTIONS: Record<WebhookEventType, string> = {
  "domain.verified": "A custom domain became verified.",
  "domain.degraded": "A verified domain lost a required DNS record.",
  "domain.deleted": "A custom domain was deleted.",
  "outlook.connection.connected": "A Microsoft 365 tenant connection was made (or renewed by a sign-in).",
  "outlook.connection.expired": "A Microsoft 365 connection expired and must be reconnected.",
  "mailbox.connected": "An Outlook mailbox was connected.",
  "mailbox.disconnected": "An Outlook mailbox was disconnected.",
  "mailbox.sync.completed": "A mailbox sync finished, with the execution's counters.",
  "mailbox.sync.failed": "A mailbox sync failed, with the execution's counters.",
  "mailbox.live.degraded": "Live sync of a mailbox stopped receiving changes.",
  "mailbox.live.recovered": "Live sync of a mailbox receives changes again.",
  "message.received": "A new message was imported into a shared inbox (ids, subject, sender; never the body).",
  "webhook.test": "Sent by sendTestWebhookEvent.",
};

const componentName = (type: string) =>
  `WebhookEvent${type
    .split(/[._]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("")}`;

const eventSchemas = WEBHOOK_EVENT_TYPES.map((type) =>
  z
    .object({
      type: z.literal(type),
      timestamp: z.string().openapi({ description: "When the event happened (ISO 8601)" }),
      data: EVENT_DATA[type],
    })
    .openapi(componentName(type), { description: DESCRIPTIONS[type] }),
);

export const WebhookEventSchema = z
  .discriminatedUnion("type", eventSchemas as unknown as [(typeof eventSchemas)[0], ...typeof eventSchemas])
  .openapi("WebhookEvent", {
    description:
      "The JSON body of every delivery: `{type, timestamp, data}`, at most 20 KB, signed per Standard Webhooks " +
      "(headers `webhook-id`, `webhook-timestamp`, `webhook-signature`).",
  });

// --- Endpoints -----------------------------------------------------------------------------------------

const url = z.string().min(1).max(10_000).openapi({
  description:
    "https URL on a public host name (no IP literals of private ranges, no credentials, at most 2048 characters)",
  example: "https://hooks.example.com/epilot",
});
const eventTypes = z
  .array(WebhookEventTypeSchema)
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length * 2)
  .nullable()
  .openapi({
    description: "Event types to receive; omitted or null: every type",
  });
const description = z.string().max(WEBHOOK_DESCRIPTION_MAX_LENGTH).nullable();

export const CreateWebhookBodySchema = z.object({
  url,
  event_types: eventTypes.optional(),
  description: description.optional(),
});

export const UpdateWebhookBodySchema = z.object({
  url: url.optional(),
  event_types: eventTypes.optional(),
  description: description.optional(),
  enabled: z.boolean().optional().openapi({ description: "false pauses deliveries; true resumes a disabled webhook" }),
});

export const WebhookSchema = z
  .object({
    id: z.string().openapi({ example: "wh_3f2c..." }),
    url: z.string(),
    description: z.string().nullable(),
    event_types: z.array(WebhookEventTypeSchema).nullable(),
    enabled: z.boolean(),
    disabled_reason: z
      .string()
      .nullable()
      .openapi({ description: "Why the webhook was disabled (410, failing for days)" }),
    failing_since: z.string().nullable().openapi({ description: "First failed delivery since the last success" }),
    previous_secret_expires_at: z
      .string()
      .nullable()
      .openapi({ description: "After a rotation: until when the previous secret also signs" }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Webhook");

const secret = z.string().openapi({
  description: "The signing secret, `whsec_` + base64 of 32 bytes. Shown only in this answer: store it now.",
  example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
});

export const WebhookWithSecretSchema = WebhookSchema.extend({ secret }).openapi("WebhookWithSecret");

export const WebhookListSchema = z.object({ results: z.array(WebhookSchema) });

export const WebhookIdParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: "id", in: "path" }, description: "Webhook id" }),
});

export const WebhookEventParamSchema = WebhookIdParamSchema.extend({
  event_id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: "event_id", in: "path" }, description: "Event id (the `webhook-id` header)" }),
});

// --- Deliveries ----------------------------------------------------------------------------------------

export const WebhookDeliverySchema = z
  .object({
    id: z.string(),
    event_id: z.string().openapi({ description: "The `webhook-id` header of every attempt" }),
    webhook_id: z.string(),
    event_type: z.string(),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attempts: z.number().int(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    last_response_body: z.string().nullable().openapi({ description: "At most the first 1 KB of the last answer" }),
    next_attempt_at: z.string().nullable(),
    delivered_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("WebhookDelivery");

export const WebhookDeliveryListSchema = z.object({
  results: z.array(WebhookDeliverySchema),
  next_cursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null at the end" }),
});

export const ListDeliveriesQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(25)
    .openapi({ param: { name: "limit", in: "query" }, description: "Page size, at most 100 (default 25)" }),
  cursor: z
    .string()
    .max(1000)
    .optional()
    .openapi({ param: { name: "cursor", in: "query" }, description: "`next_cursor` of the previous page" }),
});

export const TestWebhookEventSchema = z.object({
  event_id: z.string(),
  event: WebhookEventSchema,
});
