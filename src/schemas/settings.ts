import { z } from "@hono/zod-openapi";
import { SETTING_TYPES } from "@/db/schema";
import { SETTING_TEXT_MAX_CHARS } from "@/services/settings";

export const SettingTypeSchema = z
  .enum(SETTING_TYPES, { message: `must be one of ${SETTING_TYPES.join(", ")}` })
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

const tooLong = { message: `must be at most ${SETTING_TEXT_MAX_CHARS} characters (64 KiB)` };

/**
 * The request form: `value` may also be a JSON number (milliseconds for restrict_duplicates_within).
 * `html` and `value` are bounded before anything reads them (the signature sanitizer among others).
 */
export const SettingInputSchema = SettingSchema.extend({
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
