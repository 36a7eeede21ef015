import { z } from "@hono/zod-openapi";
import { SettingMetaSchema, stringList } from "@/lib/common-schemas";
import { DEFAULT_INBOX_ID } from "@/shared/default-inbox";
import { CUSTOM_INBOX_ID, HEX_COLOR } from "@/shared/validation";

const nameField = z.string().trim().min(1, "must not be empty").max(120, "must be at most 120 characters");
const descriptionField = z.string().trim().max(1000, "must be at most 1000 characters");
const colorField = z.string().trim().regex(HEX_COLOR, "must be a hex color like #RGB or #RRGGBB");

export const CreateSharedInboxPayloadSchema = z
  .object({
    id: z
      .string()
      .trim()
      .regex(CUSTOM_INBOX_ID, "must be 1-64 characters of letters, digits, '_' or '-'")
      .refine((id) => id.toLowerCase() !== DEFAULT_INBOX_ID, { message: "'default' is reserved for the default inbox" })
      .optional()
      .openapi({ example: "support-inbox" }),
    color: colorField.openapi({ example: "#2196F3" }),
    name: nameField.openapi({ example: "Sales Inquiries" }),
    description: descriptionField.optional().openapi({ example: "Inbound sales and pricing requests" }),
    assignees: stringList(["user-123", "user-456"]).default([]),
  })
  .openapi("CreateSharedInboxPayload");

export const UpdateSharedInboxPayloadSchema = z
  .object({
    color: colorField.optional().openapi({ example: "#4CAF50" }),
    name: nameField.optional().openapi({ example: "Customer Support" }),
    description: descriptionField.optional().openapi({ example: "Incoming customer support requests" }),
    assignees: stringList(["user-123", "user-456"]).optional(),
  })
  .openapi("UpdateSharedInboxPayload");

export const SharedInboxResponseSchema = SettingMetaSchema.extend({
  id: z.string().openapi({ example: "support-inbox" }),
  name: z.string(),
  description: z.string().optional(),
  color: z.string(),
  assignees: z.array(z.string()),
  bucket_id: z.string(),
}).openapi("SharedInboxResponse");

export const InboxBucketResponseSchema = z
  .object({ id: z.string().openapi({ example: "bucket-abc" }), inbox_id: z.string().openapi({ example: "inbox-xyz" }) })
  .openapi("InboxBucketResponse");

export const SharedInboxIdParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: "id", in: "path" }, example: "default" }),
});

export type SharedInboxResponse = z.infer<typeof SharedInboxResponseSchema>;
