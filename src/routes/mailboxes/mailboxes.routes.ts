import { createRoute, z } from "@hono/zod-openapi";
import {
  authenticatedErrors,
  bodyErrors,
  errorResponses,
  inputErrors,
  jsonBody,
  jsonContent,
} from "@/lib/openapi-helpers";
import {
  ConnectedOutlookEmailsResponseSchema,
  ConnectOutlookMailboxPayloadSchema,
  ConnectOutlookMailboxResponseSchema,
  DisconnectOutlookMailboxQuerySchema,
  DisconnectOutlookMailboxResponseSchema,
  ImportedMessagesResponseSchema,
  InboxMessageParamSchema,
  ListInboxMessagesQuerySchema,
  MailboxEmailParamSchema,
  MailboxLiveSyncSchema,
  MailboxSyncStatusSchema,
  RetryMailboxSyncPayloadSchema,
  RetryMailboxSyncResponseSchema,
  StartMailboxSyncPayloadSchema,
  StartMailboxSyncResponseSchema,
} from "@/schemas/mailboxes";
import { SharedInboxIdParamSchema } from "@/schemas/shared-inboxes";

const tags = ["O365 Outlook Connection"];
const BASE = "/v2/outlook/mailbox";

export const connectOutlookMailbox = createRoute({
  operationId: "connectOutlookMailbox",
  method: "post",
  path: `${BASE}/connect`,
  tags,
  summary: "connectOutlookMailbox",
  description:
    "Checks with Microsoft Graph that a connected tenant can open the mailbox, then links the org's email " +
    "address entity (reused if it exists) to the shared inbox and stores the mapping. With " +
    "`mailboxSyncTimeframe` a sync starts as with startMailboxSync.",
  request: { body: jsonBody(ConnectOutlookMailboxPayloadSchema, "The mailbox to connect") },
  responses: {
    201: jsonContent(ConnectOutlookMailboxResponseSchema, "Mailbox connected successfully"),
    ...authenticatedErrors,
    ...bodyErrors,
    ...errorResponses(409, 503),
  },
});

export const disconnectOutlookMailbox = createRoute({
  operationId: "disconnectOutlookMailbox",
  method: "post",
  path: `${BASE}/{email}/disconnect`,
  tags,
  summary: "Disconnect Outlook Mailbox",
  description:
    "Deletes the email address entity, the mapping and the mailbox's Graph subscriptions, and cancels a " +
    "running sync. Imported messages stay, unless `deleteImportedMail=true`: then the mailbox's imported " +
    "messages, their attachments and their stored objects are deleted too.",
  request: { params: MailboxEmailParamSchema, query: DisconnectOutlookMailboxQuerySchema },
  responses: {
    200: jsonContent(DisconnectOutlookMailboxResponseSchema, "Mailbox disconnected successfully"),
    ...authenticatedErrors,
    ...inputErrors,
    ...errorResponses(404),
  },
});

export const getConnectedOutlookEmails = createRoute({
  operationId: "getConnectedOutlookEmails",
  method: "get",
  path: `${BASE}/mappings`,
  tags,
  summary: "getConnectedOutlookEmails",
  responses: {
    200: jsonContent(ConnectedOutlookEmailsResponseSchema, "Outlook emails retrieved successfully"),
    ...authenticatedErrors,
    ...inputErrors,
  },
});

export const startMailboxSync = createRoute({
  operationId: "startMailboxSync",
  method: "post",
  path: `${BASE}/{email}/sync`,
  tags,
  summary: "Start Mailbox Sync",
  description:
    "Starts importing Inbox and Sent Items of the timeframe. Answers at once; the import runs in the " +
    "queue consumer. One sync per mailbox at a time (409).",
  request: {
    params: MailboxEmailParamSchema,
    body: jsonBody(StartMailboxSyncPayloadSchema, "The sync period"),
  },
  responses: {
    202: jsonContent(StartMailboxSyncResponseSchema, "Sync started successfully"),
    ...authenticatedErrors,
    ...bodyErrors,
    ...errorResponses(404, 409),
  },
});

export const getMailboxSyncStatus = createRoute({
  operationId: "getMailboxSyncStatus",
  method: "get",
  path: `${BASE}/{email}/sync/status`,
  tags,
  summary: "Get Mailbox Sync Status",
  description: "The current or latest sync (or retry) of the mailbox, with live per-folder counters.",
  request: { params: MailboxEmailParamSchema },
  responses: {
    200: jsonContent(MailboxSyncStatusSchema, "Sync status retrieved"),
    ...authenticatedErrors,
    ...errorResponses(404),
  },
});

export const getMailboxLiveSync = createRoute({
  operationId: "getMailboxLiveSync",
  method: "get",
  path: `${BASE}/{email}/live`,
  tags,
  summary: "Get Mailbox Live Sync",
  description:
    "How new, changed and deleted mail of the connected mailbox keeps arriving: change notifications " +
    "(`live`) or delta polling, the subscriptions per folder and their expiry, the last notification and " +
    "delta run, the poll interval and the last error.",
  request: { params: MailboxEmailParamSchema },
  responses: {
    200: jsonContent(MailboxLiveSyncSchema, "Live sync status retrieved"),
    ...authenticatedErrors,
    ...errorResponses(404),
  },
});

export const retryMailboxSync = createRoute({
  operationId: "retryMailboxSync",
  method: "post",
  path: `${BASE}/{email}/sync/retry`,
  tags,
  summary: "Retry Failed Messages",
  description:
    "Requeues the FAILED messages of an execution (all, or the listed ids) under a new execution. " +
    "PERMANENTLY_FAILED messages (3 failed attempts) are never retried.",
  request: {
    params: MailboxEmailParamSchema,
    body: jsonBody(RetryMailboxSyncPayloadSchema, "The execution and scope to retry"),
  },
  responses: {
    202: jsonContent(RetryMailboxSyncResponseSchema, "Retry started"),
    ...authenticatedErrors,
    ...bodyErrors,
    ...errorResponses(404, 409),
  },
});

export const listSharedInboxMessages = createRoute({
  operationId: "listSharedInboxMessages",
  method: "get",
  path: "/v2/email-settings/shared-inboxes/{id}/messages",
  tags: ["Shared inboxes"],
  summary: "Messages imported into a shared inbox (newest first, cursor pagination)",
  description: "An addition to the contract: what the mailbox import stored for this inbox.",
  request: { params: SharedInboxIdParamSchema, query: ListInboxMessagesQuerySchema },
  responses: {
    200: jsonContent(ImportedMessagesResponseSchema, "One page of messages"),
    ...authenticatedErrors,
    ...inputErrors,
    ...errorResponses(404),
  },
});

export const getSharedInboxMessageOriginalBody = createRoute({
  operationId: "getSharedInboxMessageOriginalBody",
  method: "get",
  path: "/v2/email-settings/shared-inboxes/{id}/messages/{message_id}/original-body",
  tags: ["Shared inboxes"],
  summary: "The stored, unsanitized body of an imported message, as a download",
  description:
    "An addition to the contract. listSharedInboxMessages serves HTML bodies sanitized; this answers the body " +
    "exactly as imported (whole, from the message store; rows imported before it were cut at " +
    "MAILBOX_BODY_MAX_CHARS), for a caller that asks for it explicitly. It is " +
    "never rendered: `Content-Type: text/plain; charset=utf-8`, `X-Content-Type-Options: nosniff`, " +
    "`Content-Security-Policy: sandbox` and `Content-Disposition: attachment`. `X-Body-Content-Type` says " +
    "whether the original is `html` or `text`, `X-Body-Truncated` whether it was cut on import. A message " +
    "of another organization or another inbox is a 404.",
  request: { params: InboxMessageParamSchema },
  responses: {
    200: {
      description: "The stored body (empty when the message has none)",
      headers: {
        "Content-Disposition": { schema: { type: "string" }, description: 'attachment; filename="original-body.txt"' },
        "Content-Security-Policy": { schema: { type: "string" }, description: "sandbox" },
        "X-Content-Type-Options": { schema: { type: "string" }, description: "nosniff" },
        "X-Body-Content-Type": { schema: { type: "string" }, description: "`html` or `text` (empty if unknown)" },
        "X-Body-Truncated": { schema: { type: "string", enum: ["true", "false"] }, description: "Cut on import" },
      },
      content: { "text/plain": { schema: z.string() } },
    },
    ...authenticatedErrors,
    ...inputErrors,
    ...errorResponses(404),
  },
});

export type ConnectOutlookMailboxRoute = typeof connectOutlookMailbox;
export type DisconnectOutlookMailboxRoute = typeof disconnectOutlookMailbox;
export type GetConnectedOutlookEmailsRoute = typeof getConnectedOutlookEmails;
export type StartMailboxSyncRoute = typeof startMailboxSync;
export type GetMailboxSyncStatusRoute = typeof getMailboxSyncStatus;
export type RetryMailboxSyncRoute = typeof retryMailboxSync;
export type GetMailboxLiveSyncRoute = typeof getMailboxLiveSync;
export type ListSharedInboxMessagesRoute = typeof listSharedInboxMessages;
export type GetSharedInboxMessageOriginalBodyRoute = typeof getSharedInboxMessageOriginalBody;
