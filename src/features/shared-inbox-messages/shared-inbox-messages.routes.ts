import { createRoute, z } from "@hono/zod-openapi";
import {
  ImportedMessagesResponseSchema,
  InboxMessageAttachmentParamSchema,
  InboxMessageParamSchema,
  ListInboxMessagesQuerySchema,
  RangeHeaderSchema,
  SharedInboxMessageSchema,
} from "@/features/shared-inbox-messages/shared-inbox-messages.schemas";
import { SharedInboxIdParamSchema } from "@/features/shared-inboxes/shared-inboxes.schemas";
import { authenticatedErrors, errorResponse, errorResponses, inputErrors, jsonContent } from "@/lib/openapi-helpers";

const tags = ["Shared inboxes"];

export const getSharedInboxMessage = createRoute({
  operationId: "getSharedInboxMessage",
  method: "get",
  path: "/v2/email-settings/shared-inboxes/{id}/messages/{message_id}",
  tags,
  summary: "One imported message, whole, with its attachments",
  description:
    "An addition to the contract. The whole body from the message store (HTML sanitized for display as " +
    "listSharedInboxMessages serves it; `cid:` images point at getSharedInboxMessageAttachment URLs) and the " +
    "attachment list (stored files, and skipped ones with the reason). A message of another organization " +
    "or another inbox is a 404.",
  request: { params: InboxMessageParamSchema },
  responses: {
    200: jsonContent(SharedInboxMessageSchema, "The message"),
    ...authenticatedErrors,
    ...inputErrors,
    ...errorResponses(404),
  },
});

const downloadHeaders = {
  "Content-Disposition": {
    schema: { type: "string" as const },
    description: "`attachment` with `filename` (ASCII) and `filename*` (UTF-8, RFC 5987)",
  },
  "Content-Length": { schema: { type: "integer" as const }, description: "Bytes in this answer" },
  "Accept-Ranges": { schema: { type: "string" as const }, description: "bytes" },
  "X-Content-Type-Options": { schema: { type: "string" as const }, description: "nosniff" },
  "Content-Security-Policy": { schema: { type: "string" as const }, description: "sandbox" },
};

const binary = { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } };

export const getSharedInboxMessageAttachment = createRoute({
  operationId: "getSharedInboxMessageAttachment",
  method: "get",
  path: "/v2/email-settings/shared-inboxes/{id}/messages/{message_id}/attachments/{attachment_id}",
  tags,
  summary: "A stored attachment of an imported message, as a download",
  description:
    "An addition to the contract. Streams the attachment's bytes (its stored content type; never rendered: " +
    "`Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`, `Content-Security-Policy: sandbox`). " +
    "One HTTP `Range` (`bytes=a-b`, `a-`, `-n`) answers 206 with `Content-Range`; a range past the end 416. " +
    "A skipped attachment, or one of another organization, inbox or message, is a 404.",
  request: { params: InboxMessageAttachmentParamSchema, headers: RangeHeaderSchema },
  responses: {
    200: { description: "The whole attachment", headers: downloadHeaders, content: binary },
    206: {
      description: "The requested range",
      headers: {
        ...downloadHeaders,
        "Content-Range": { schema: { type: "string" as const }, description: "bytes a-b/size" },
      },
      content: binary,
    },
    ...authenticatedErrors,
    ...inputErrors,
    ...errorResponses(404),
    416: errorResponse("The range starts past the end; `Content-Range: bytes */size` gives the size"),
  },
});

export const listSharedInboxMessages = createRoute({
  operationId: "listSharedInboxMessages",
  method: "get",
  path: "/v2/email-settings/shared-inboxes/{id}/messages",
  tags,
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
  tags,
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

export type GetSharedInboxMessageRoute = typeof getSharedInboxMessage;
export type GetSharedInboxMessageAttachmentRoute = typeof getSharedInboxMessageAttachment;
export type ListSharedInboxMessagesRoute = typeof listSharedInboxMessages;
export type GetSharedInboxMessageOriginalBodyRoute = typeof getSharedInboxMessageOriginalBody;
