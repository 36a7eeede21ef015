import { z } from "@hono/zod-openapi";
import { SETTING_TYPES } from "@/db/schema";
import {
  SETTING_NAME_MAX_CHARS,
  SETTING_NAME_TOO_LONG,
  SETTING_TEXT_MAX_CHARS,
  SETTING_TEXT_TOO_LONG,
} from "@/shared/setting-limits";

/** SettingType is the oneOf of one component schema per type, as the contract names them. */
export const SettingTypeSchema = z
  .union(
    [
      z.literal("signature").openapi("SignatureSetting"),
      z.literal("email_domain").openapi("EmailDomainSetting"),
      z.literal("email_address").openapi("EmailAddressSetting"),
      z.literal("whitelist_email_address").openapi("WhitelistEmailAddressSetting"),
      z.literal("restrict_duplicates_within").openapi("RestrictDuplicatesWithinSetting"),
    ] satisfies z.ZodLiteral<(typeof SETTING_TYPES)[number]>[],
    { error: `must be one of ${SETTING_TYPES.join(", ")}` },
  )
  .openapi("SettingType");

/** A legacy setting; the contract allows additional properties, which are stored and echoed. */
export const SettingSchema = z
  .looseObject({
    id: z.string().optional().openapi({ example: "a10bd0ff-4391-4cfc-88ee-b19d718a9bf7" }),
    name: z.string().optional().openapi({ example: "Default Signature" }),
    org_id: z.string().optional(),
    type: SettingTypeSchema,
    value: z.string().optional(),
    html: z.string().optional(),
    created_at: z.string().optional(),
    updated_at: z.string().optional(),
    created_by: z.string().optional(),
    updated_by: z.string().optional(),
  })
  .openapi("Setting");

const tooLong = { message: SETTING_TEXT_TOO_LONG };

/**
 * The request form: `value` may also be a JSON number (milliseconds for restrict_duplicates_within).
 * `html`, `value` and `name` are bounded before anything reads them (the signature sanitizer among
 * others); additional properties are bounded by the settings service (src/features/settings/limits.ts).
 */
export const SettingInputSchema = SettingSchema.extend({
  name: z.string().max(SETTING_NAME_MAX_CHARS, { message: SETTING_NAME_TOO_LONG }).optional(),
  value: z.union([z.string().max(SETTING_TEXT_MAX_CHARS, tooLong), z.number()]).optional(),
  html: z.string().max(SETTING_TEXT_MAX_CHARS, tooLong).optional(),
}).openapi("SettingInput");

export const SettingsResponseSchema = z.union([z.array(SettingSchema), SettingSchema]).openapi("SettingsResponse");

export const DeleteSettingPayloadSchema = z.object({
  type: SettingTypeSchema,
  id: z.string().min(1),
});

export type Setting = z.infer<typeof SettingSchema>;
export type SettingInput = z.infer<typeof SettingInputSchema>;
