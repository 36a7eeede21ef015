/**
 * The catalogue of outbound webhook events (README "Webhooks"): the event types and the `data` each one
 * carries. Used by the HTTP schema (src/features/webhooks/webhooks.schemas.ts documents every type in
 * /openapi.json) and by the services that emit events (src/db/outbox/outbox.ts types `eventStatements` with
 * it).
 * Pure data, no I/O.
 */

export const WEBHOOK_EVENT_TYPES = [
  "domain.verified",
  "domain.degraded",
  "domain.deleted",
  "outlook.connection.connected",
  "outlook.connection.expired",
  "mailbox.connected",
  "mailbox.disconnected",
  "mailbox.sync.completed",
  "mailbox.sync.failed",
  "mailbox.live.degraded",
  "mailbox.live.recovered",
  "message.received",
  "webhook.test",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Counters of one folder of a finished sync execution. */
export interface WebhookFolderCounters {
  total_messages: number;
  processed_messages: number;
  failed_messages: number;
}

interface MailboxSyncData {
  mailbox: string;
  sync_id: string;
  status: string;
  counters: { inbox: WebhookFolderCounters | null; sent_items: WebhookFolderCounters | null };
  error?: string | null;
}

/** The `data` of each event type. */
export interface WebhookEventData {
  "domain.verified": { domain: string; status: "verified"; verified_at: string };
  "domain.degraded": { domain: string; status: string; previous_status: "verified"; failing_records: string[] };
  "domain.deleted": { domain: string };
  "outlook.connection.connected": { tenant_id: string; connected_at: string };
  "outlook.connection.expired": { tenant_id: string; reason: string; action: "reconnect" };
  "mailbox.connected": { mailbox: string; tenant_id: string; shared_inbox_id: string };
  "mailbox.disconnected": { mailbox: string; tenant_id: string };
  "mailbox.sync.completed": MailboxSyncData;
  "mailbox.sync.failed": MailboxSyncData;
  "mailbox.live.degraded": { mailbox: string; reason: string };
  "mailbox.live.recovered": { mailbox: string };
  "message.received": {
    message_id: string;
    mailbox: string;
    shared_inbox_id: string;
    subject: string | null;
    from: { address: string | null; name: string | null };
    received_at: string | null;
  };
  "webhook.test": { webhook_id: string; message: string };
}

/** A payload is at most this many bytes of JSON (`{type, timestamp, data}`). */
export const WEBHOOK_PAYLOAD_MAX_BYTES = 20_000;

/** Longest endpoint URL accepted, in characters. */
export const WEBHOOK_URL_MAX_LENGTH = 2048;
export const WEBHOOK_DESCRIPTION_MAX_LENGTH = 500;
