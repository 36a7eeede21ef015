import { z } from "@hono/zod-openapi";
import { ATTACHMENT_KINDS, ATTACHMENT_STATES } from "@/db/schema";
import { InboxMessageParamSchema, messageHeaderShape } from "./mailboxes";

/** getSharedInboxMessage and getSharedInboxMessageAttachment: whole messages and their attachments from the message store. */

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
      content_type: z.string().nullable().openapi({ description: "`html` or `text`, as Microsoft Graph gave it" }),
      content: z
        .string()
        .nullable()
        .openapi({
          description:
            "The whole body: text as stored, HTML sanitized for display as listSharedInboxMessages serves it, " +
            "with `cid:` images pointing at their attachments' URLs",
        }),
      truncated: z.boolean().openapi({
        description: "Cut when stored (rows imported before the message store) or at the sanitizer's bound",
      }),
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
