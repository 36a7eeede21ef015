import { createRoute, z } from "@hono/zod-openapi";
import { authenticatedErrors, errorResponse, errorResponses, inputErrors, jsonContent } from "@/lib/openapi-helpers";
import { InboxMessageParamSchema } from "@/schemas/mailboxes";
import {
  InboxMessageAttachmentParamSchema,
  RangeHeaderSchema,
  SharedInboxMessageSchema,
} from "@/schemas/shared-inbox-messages";

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

export type GetSharedInboxMessageRoute = typeof getSharedInboxMessage;
export type GetSharedInboxMessageAttachmentRoute = typeof getSharedInboxMessageAttachment;
