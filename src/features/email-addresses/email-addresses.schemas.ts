import { z } from "@hono/zod-openapi";
import { SettingMetaSchema, stringList } from "@/lib/common-schemas";
import { PLATFORM_DOMAIN } from "@/lib/config";
import { canonicalEmailAddress, EMAIL_ADDRESS_MAX_CHARS } from "@/shared/validation";

/** An address as sent, turned into its canonical form (see canonicalEmailAddress), which is what is stored. */
export const emailAddressField = z
  .string()
  .trim()
  .max(EMAIL_ADDRESS_MAX_CHARS)
  .overwrite((value) => canonicalEmailAddress(value) ?? value)
  .refine((value) => canonicalEmailAddress(value) === value, {
    message: "must be a valid email address such as sales@yourcompany.com",
  })
  .openapi({ type: "string", format: "email" });

const optionalId = z.string().trim().min(1).max(256);

export const CreateEmailAddressPayloadSchema = z
  .object({
    address: emailAddressField.openapi({ example: "support@yourcompany.com" }),
    name: z.string().trim().max(256).optional().openapi({ example: "Customer Support" }),
    user_ids: stringList(["user-123"]).optional(),
    group_ids: stringList(["group-456"]).optional(),
    default_signature_id: optionalId.optional().openapi({ example: "sig-789" }),
    shared_inbox_id: optionalId.optional().openapi({ example: "inbox-abc" }),
  })
  .openapi("CreateEmailAddressPayload");

export const UpdateEmailAddressPayloadSchema = z
  .object({
    name: z.string().trim().max(256).optional().openapi({ example: "Sales Team" }),
    user_ids: stringList(["user-123", "user-456"]).optional(),
    group_ids: stringList(["group-789"]).optional(),
    default_signature_id: optionalId.nullable().optional().openapi({ example: "sig-abc" }),
    shared_inbox_id: optionalId.optional().openapi({ example: "inbox-xyz" }),
    is_active: z.boolean().optional(),
  })
  .openapi("UpdateEmailAddressPayload");

export const SetEmailAddressPrimaryPayloadSchema = z
  .object({ address: z.string().trim().min(1).max(254).openapi({ example: "sales@yourcompany.com" }) })
  .openapi("SetEmailAddressPrimaryPayload");

export const ProvisionEpilotEmailAddressPayloadSchema = z
  .object({ address: emailAddressField.openapi({ example: `mycompany@${PLATFORM_DOMAIN}` }) })
  .openapi("ProvisionEpilotEmailAddressPayload");

export const EmailAddressResponseSchema = SettingMetaSchema.extend({
  address: z.string().openapi({ example: "sales@yourcompany.com" }),
  name: z.string().optional(),
  user_ids: z.array(z.string()).optional(),
  group_ids: z.array(z.string()).optional(),
  default_signature_id: z.string().optional(),
  shared_inbox_id: z.string().optional(),
  is_active: z.boolean().optional(),
  is_primary: z.boolean().optional(),
  is_epilot_email_address: z.boolean().optional(),
}).openapi("EmailAddressResponse");

export const EmailAddressIdParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .openapi({
      param: { name: "id", in: "path" },
      description: "The address's UUID or the address itself (case-insensitive)",
      example: "sales@yourcompany.com",
    }),
});

export type EmailAddressResponse = z.infer<typeof EmailAddressResponseSchema>;
