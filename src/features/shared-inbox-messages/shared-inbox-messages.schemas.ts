import { z } from "@hono/zod-openapi";
import { ATTACHMENT_KINDS, ATTACHMENT_STATES } from "@/db/schema";

/**
 * The operations on a shared inbox's messages: the listing (listSharedInboxMessages), one whole message with its
 * attachments (getSharedInboxMessage, getSharedInboxMessageAttachment) and the original body.
 */

const PersonSchema = z.object({ address: z.string(), name: z.string().optional() });

/** The fields every message answer shares (the listing and getSharedInboxMessage), body aside. */
export const messageHeaderShape = {
  id: z.string().openapi({ description: "Id of the imported message in this API" }),
  graph_id: z.string().openapi({ description: "Microsoft Graph immutable id" }),
  mailbox: z.string().openapi({ description: "The Outlook mailbox it was imported from" }),
  folder: z.enum(["inbox", "sentitems"]),
  subject: z.string().nullable(),
  from: PersonSchema.nullable(),
  to: z.array(PersonSchema),
  cc: z.array(PersonSchema),
  received_at: z.string().nullable(),
  sent_at: z.string().nullable(),
  conversation_id: z.string().nullable(),
  body_preview: z.string().nullable(),
};

const bodyContentType = z.string().nullable().openapi({ description: "`html` or `text`, as Microsoft Graph gave it" });

const bodyTruncated = z.boolean().openapi({
  description:
    "The body shown is not the whole formatted body: it was cut when stored (only mail imported before bodies " +
    "moved to R2, at MAILBOX_BODY_MAX_CHARS characters), at the sanitizer's bounds (256 KiB of input or output), " +
    "or its markup cost more than the sanitizer's budget and only its text is shown (the original: " +
    "getSharedInboxMessageOriginalBody)",
});

const ImportedMessageSchema = z
  .object({
    ...messageHeaderShape,
    body: z.object({
      content_type: bodyContentType,
      content: z
        .string()
        .nullable()
        .openapi({
          description:
            "Always null in the listing, which reads no message content (so a page costs the same however big its " +
            "mail): show `body_preview`, and fetch the body, sanitized for display, with getSharedInboxMessage " +
            "(the stored original: getSharedInboxMessageOriginalBody).",
        }),
      truncated: z.boolean().openapi({
        description:
          "The stored body was cut when it was stored (only mail imported before bodies moved to R2, at " +
          "MAILBOX_BODY_MAX_CHARS characters). Whether the body shown is cut further by the sanitizer's bounds is " +
          "said by getSharedInboxMessage.",
      }),
    }),
    shared_inbox_id: z.string(),
    bucket_id: z.string(),
    imported_at: z.string(),
  })
  .openapi("ImportedMessage");

export const ImportedMessagesResponseSchema = z.object({
  messages: z.array(ImportedMessageSchema),
  next_cursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null at the end" }),
});

export const ListInboxMessagesQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(50)
    .openapi({ param: { name: "limit", in: "query" }, description: "Page size, at most 100 (default 50)" }),
  cursor: z
    .string()
    .max(1000)
    .optional()
    .openapi({ param: { name: "cursor", in: "query" }, description: "`next_cursor` of the previous page" }),
  q: z
    .string()
    .max(500)
    .optional()
    .openapi({
      param: { name: "q", in: "query" },
      description:
        "Search: every word must match the subject, the sender's or a recipient's name or address, the body's text " +
        "(the first 32,000 characters) or an attachment's name, as a word or (from 3 characters) the start of one (`abschlag` finds " +
        '"Abschlagszahlung"); a quoted phrase matches as a phrase. Case and diacritics are ignored (`zahlerstand` ' +
        'finds "Zählerstand", `strasse` "Straße"). Everything typed is searched for as words: there are no ' +
        "operators. At most 500 characters and 16 words or phrases.",
    }),
  folder: z
    .enum(["inbox", "sentitems"])
    .optional()
    .openapi({ param: { name: "folder", in: "query" }, description: "Only mail of this folder" }),
  from: z
    .string()
    .trim()
    .min(1)
    .max(320)
    .toLowerCase()
    .optional()
    .openapi({ param: { name: "from", in: "query" }, description: "Only mail from this sender address (exact)" }),
  received_after: z
    .string()
    .datetime({ offset: true })
    .optional()
    .openapi({
      param: { name: "received_after", in: "query" },
      description: "Only mail received at or after this time (ISO 8601)",
    }),
  received_before: z
    .string()
    .datetime({ offset: true })
    .optional()
    .openapi({
      param: { name: "received_before", in: "query" },
      description: "Only mail received before this time (ISO 8601)",
    }),
  has_attachments: z
    .enum(["true", "false"])
    .transform((value) => value === "true")
    .optional()
    .openapi({
      param: { name: "has_attachments", in: "query" },
      description: "`true`: only mail with attachments; `false`: only mail without",
    }),
});

export const InboxMessageParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: "id", in: "path" }, description: "Shared inbox id", example: "default" }),
  message_id: z
    .string()
    .min(1)
    .max(256)
    .openapi({ param: { name: "message_id", in: "path" }, description: "`id` of the imported message" }),
});

const AttachmentSchema = z
  .object({
    id: z.string().openapi({ description: "Id of the attachment in this API (32 hex digits)" }),
    name: z.string(),
    content_type: z.string().nullable().openapi({ description: "`type/subtype` as Graph gave it (null: unknown)" }),
    size: z.number().int().openapi({ description: "Bytes (stored: exactly what is served)" }),
    content_id: z.string().nullable().openapi({ description: "Content-ID an HTML body's `cid:` URL names" }),
    is_inline: z.boolean(),
    kind: z.enum(ATTACHMENT_KINDS).openapi({
      description: "`file`: the bytes are stored; `item` (an attached Outlook item) and `reference` (a link): metadata",
    }),
    state: z.enum(ATTACHMENT_STATES).openapi({ description: "`stored`, or `skipped` with `skipped_reason`" }),
    skipped_reason: z.string().nullable(),
    sha256: z.string().nullable().openapi({ description: "Hex SHA-256 of the stored bytes" }),
    url: z.string().nullable().openapi({ description: "getSharedInboxMessageAttachment's path (stored only)" }),
  })
  .openapi("SharedInboxMessageAttachment");

export const SharedInboxMessageSchema = z
  .object({
    ...messageHeaderShape,
    body: z.object({
      content_type: bodyContentType,
      content: z
        .string()
        .nullable()
        .openapi({
          description:
            "The whole body: text as stored, HTML sanitized for display as listSharedInboxMessages serves it, " +
            "with `cid:` images pointing at their attachments' URLs",
        }),
      truncated: bodyTruncated,
      size: z.number().int().nullable().openapi({ description: "Bytes of the stored original (null: not known)" }),
    }),
    has_attachments: z.boolean(),
    attachments: z.array(AttachmentSchema),
    shared_inbox_id: z.string(),
    bucket_id: z.string(),
    imported_at: z.string(),
  })
  .openapi("SharedInboxMessage");

export const InboxMessageAttachmentParamSchema = InboxMessageParamSchema.extend({
  attachment_id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "attachment_id", in: "path" }, description: "`id` of the attachment" }),
});

export const RangeHeaderSchema = z.object({
  range: z
    .string()
    .max(200)
    .optional()
    .openapi({ param: { name: "range", in: "header" }, description: "One byte range, e.g. `bytes=0-1023`" }),
});
