import { z } from "@hono/zod-openapi";
import { MAILBOX_FOLDER_STATUSES, MAILBOX_SYNC_STATUSES, MAILBOX_SYNC_TIMEFRAMES } from "@/db/schema";
import { EmailAddressResponseSchema, emailAddressField } from "@/features/email-addresses/email-addresses.schemas";
import { MAILBOX_LIVE_STATUSES, POLLING_REASON_CODES } from "@/shared/mailbox-live";

const MailboxSyncTimeframeSchema = z.enum(MAILBOX_SYNC_TIMEFRAMES).openapi("MailboxSyncTimeframePeriods");
const MailboxSyncStatusesSchema = z.enum(MAILBOX_SYNC_STATUSES).openapi("MailboxSyncStatuses");
const MailboxSyncFolderStatusesSchema = z.enum(MAILBOX_FOLDER_STATUSES).openapi("MailboxSyncFolderStatuses");

export const MailboxEmailParamSchema = z.object({
  email: emailAddressField.openapi({
    param: { name: "email", in: "path" },
    description: "Email address of the Outlook mailbox",
    example: "support@contoso.com",
  }),
});

export const ConnectOutlookMailboxPayloadSchema = z.object({
  email: emailAddressField.openapi({ description: "Email address of the Outlook mailbox to connect" }),
  shared_inbox_id: z.string().trim().min(1).max(256).optional().openapi({
    description: "Shared inbox ID to associate with the mailbox. Defaults to the default shared inbox.",
    default: "default",
  }),
  mailboxSyncTimeframe: MailboxSyncTimeframeSchema.optional().openapi({
    description: "Optional timeframe for an initial mailbox sync, started after connecting",
  }),
});

export const ConnectOutlookMailboxResponseSchema = z.object({
  email_address: EmailAddressResponseSchema,
  outlook_email: z.string().openapi({ format: "email", description: "The email of the connected mailbox" }),
  tenant_id: z.string().openapi({ description: "Azure AD Tenant ID that provisions this mailbox" }),
  provider: z.enum(["outlook"]).openapi({ description: "The provider type" }),
});

export const DisconnectOutlookMailboxQuerySchema = z.object({
  deleteImportedMail: z
    .enum(["true", "false"])
    .default("false")
    .openapi({
      param: { name: "deleteImportedMail", in: "query" },
      description:
        "`true`: after the disconnect, the mailbox's imported messages, their attachments and every stored " +
        "body and attachment object are deleted. Default `false`: imported mail stays.",
      example: "false",
    }),
});

export const DisconnectOutlookMailboxResponseSchema = z.object({
  success: z.boolean(),
  email: z.string().openapi({ format: "email", description: "The email address that was disconnected" }),
});

const ConnectedOutlookEmailSchema = z
  .object({
    outlook_email: z.string().openapi({ format: "email", description: "The Outlook shared mailbox email address" }),
    tenant_id: z.string().optional().openapi({ description: "Azure AD Tenant ID that provisions this mailbox" }),
    provider: z.enum(["outlook"]).optional().openapi({ description: "Provider type (for future extensibility)" }),
    connected_at: z.string().datetime().optional().openapi({ description: "When the mailbox was connected" }),
    connected_by_user_id: z.string().optional().openapi({ description: "User who connected this mailbox" }),
  })
  .openapi("ConnectedOutlookEmail");

export const ConnectedOutlookEmailsResponseSchema = z.object({
  outlook_emails: z.array(ConnectedOutlookEmailSchema),
  count: z.number().int().openapi({ description: "Number of Outlook emails" }),
});

export const StartMailboxSyncPayloadSchema = z.object({
  /** Sync period: 5m (last 5 minutes), 1w, 2w, 1m (30 days). */
  timeframe: MailboxSyncTimeframeSchema,
});

export const StartMailboxSyncResponseSchema = z.object({
  execution_id: z.string().openapi({ description: "The execution ID" }),
  status: MailboxSyncStatusesSchema,
  timeframe: MailboxSyncTimeframeSchema,
});

const FolderSyncSchema = z.object({
  status: MailboxSyncFolderStatusesSchema.optional(),
  total_messages: z.number().int().optional(),
  processed_messages: z.number().int().optional(),
  failed_messages: z.number().int().optional(),
});

export const MailboxSyncStatusSchema = z
  .object({
    execution_id: z.string(),
    status: MailboxSyncStatusesSchema,
    timeframe: MailboxSyncTimeframeSchema,
    started_at: z.string().datetime(),
    completed_at: z.string().datetime().optional(),
    inbox: FolderSyncSchema.optional(),
    sent_items: FolderSyncSchema.optional(),
  })
  .openapi("MailboxSyncStatus");

export const RetryMailboxSyncPayloadSchema = z
  .object({
    sync_id: z.string().trim().min(1).max(128).openapi({ description: "Execution ID of the sync to retry" }),
    scope: z.enum(["all_failed"]).optional().openapi({
      description: "Retry scope. Use 'all_failed' to retry all retryable failed messages.",
    }),
    message_ids: z.array(z.string().min(1).max(1024)).min(1).max(1000).optional().openapi({
      description: "Specific Graph message IDs to retry (alternative to scope)",
    }),
  })
  .refine((body) => body.scope !== undefined || body.message_ids !== undefined, {
    message: "send scope 'all_failed' or message_ids",
    path: ["scope"],
  })
  .refine((body) => !(body.scope !== undefined && body.message_ids !== undefined), {
    message: "send either scope or message_ids, not both",
    path: ["message_ids"],
  });

export const RetryMailboxSyncResponseSchema = z.object({
  retry_execution_id: z.string().openapi({ description: "Execution ID for the retry sync" }),
  messages_queued: z.number().int().openapi({ description: "Number of messages queued for retry" }),
});

const isoTime = (description: string) => z.string().nullable().openapi({ format: "date-time", description });

export const MailboxLiveSyncSchema = z
  .object({
    mailbox: z.string().openapi({ format: "email" }),
    status: z.enum(MAILBOX_LIVE_STATUSES).openapi({
      description:
        "`live`: change notifications active (with a slow backstop poll); `polling`: delta polling only " +
        "(`polling_reason` says why); `paused`: live sync has not started yet (the hourly schedule starts it); " +
        "`reconnect_required`: the tenant's connection expired, nothing runs until it is reconnected",
    }),
    polling_reason: z.string().nullable().openapi({ description: "Why the mailbox is not on notifications" }),
    polling_reason_code: z
      .enum(POLLING_REASON_CODES)
      .nullable()
      .openapi({
        description:
          "The reason as a code, for the web app to offer the right action: `app_permission_missing` (an " +
          "administrator must grant the application permission: GET /v2/outlook/connect?admin_consent=true" +
          "&tenant_id=…), `mailbox_access_denied` (an application access policy leaves the mailbox out), " +
          "`no_public_url` (the deployment has no public https URL), `subscription_failed` " +
          "(Graph refused; retried hourly), `subscription_pending` (being set up), `reconnect_required` " +
          "(connect the tenant again), `not_started`; null while live",
      }),
    subscriptions: z
      .array(
        z.object({
          folder: z.enum(["inbox", "sentitems"]),
          expires_at: z.string().openapi({ format: "date-time" }),
        }),
      )
      .openapi({ description: "Active Graph change-notification subscriptions, one per folder" }),
    last_notification_at: isoTime("When the last valid notification arrived"),
    last_delta_at: isoTime("When the last delta run completed"),
    next_poll_at: isoTime("When the next (backstop) poll is due"),
    poll_interval_seconds: z.number().int().openapi({ description: "Seconds between polls in the current mode" }),
    last_error: z
      .object({ message: z.string(), at: z.string().openapi({ format: "date-time" }) })
      .nullable()
      .openapi({ description: "The last failure of live sync, cleared by the next successful run" }),
  })
  .openapi("MailboxLiveSync");
