import { createRoute } from "@hono/zod-openapi";
import {
  ConnectedOutlookEmailsResponseSchema,
  ConnectOutlookMailboxPayloadSchema,
  ConnectOutlookMailboxResponseSchema,
  DisconnectOutlookMailboxQuerySchema,
  DisconnectOutlookMailboxResponseSchema,
  MailboxEmailParamSchema,
  MailboxLiveSyncSchema,
  MailboxSyncStatusSchema,
  RetryMailboxSyncPayloadSchema,
  RetryMailboxSyncResponseSchema,
  StartMailboxSyncPayloadSchema,
  StartMailboxSyncResponseSchema,
} from "@/features/mailboxes/mailboxes.schemas";
import {
  authenticatedErrors,
  bodyErrors,
  errorResponses,
  inputErrors,
  jsonBody,
  jsonContent,
} from "@/lib/openapi-helpers";

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

export type ConnectOutlookMailboxRoute = typeof connectOutlookMailbox;
export type DisconnectOutlookMailboxRoute = typeof disconnectOutlookMailbox;
export type GetConnectedOutlookEmailsRoute = typeof getConnectedOutlookEmails;
export type StartMailboxSyncRoute = typeof startMailboxSync;
export type GetMailboxSyncStatusRoute = typeof getMailboxSyncStatus;
export type RetryMailboxSyncRoute = typeof retryMailboxSync;
export type GetMailboxLiveSyncRoute = typeof getMailboxLiveSync;
