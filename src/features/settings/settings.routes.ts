import { createRoute, z } from "@hono/zod-openapi";
import {
  DeleteSettingPayloadSchema,
  SettingInputSchema,
  SettingSchema,
  SettingsResponseSchema,
  SettingTypeSchema,
} from "@/features/settings/settings.schemas";
import {
  authenticatedErrors,
  bodyErrors,
  errorResponses,
  inputErrors,
  jsonBody,
  jsonContent,
} from "@/lib/openapi-helpers";

const tags = ["Settings"];
const BASE = "/v1/email-settings";

export const getSettings = createRoute({
  operationId: "getSettings",
  method: "get",
  path: BASE,
  tags,
  summary: "List the org's settings of one type, or get one by id",
  request: {
    query: z.object({
      type: SettingTypeSchema.openapi({ param: { name: "type", in: "query", required: true } }),
      id: z
        .string()
        .min(1)
        .optional()
        .openapi({ param: { name: "id", in: "query" } }),
    }),
  },
  responses: {
    200: jsonContent(SettingsResponseSchema, "An array of settings, or one setting when `id` is given"),
    ...authenticatedErrors,
    ...inputErrors,
    ...errorResponses(404),
  },
});

export const addSetting = createRoute({
  operationId: "addSetting",
  method: "post",
  path: BASE,
  tags,
  summary: "Add a setting",
  request: { body: jsonBody(SettingInputSchema, "The setting; `type` decides which fields are required") },
  responses: {
    200: jsonContent(SettingsResponseSchema, "The stored setting"),
    ...authenticatedErrors,
    ...bodyErrors,
    ...errorResponses(404, 409),
  },
});

export const deleteSetting = createRoute({
  operationId: "deleteSetting",
  method: "delete",
  path: BASE,
  tags,
  summary: "Delete a setting",
  request: { body: jsonBody(DeleteSettingPayloadSchema, "Which setting to delete") },
  responses: {
    200: jsonContent(SettingSchema, "The deleted setting"),
    ...authenticatedErrors,
    ...bodyErrors,
    // 409: an email_domain setting follows the domain rules (refused while addresses use the domain).
    ...errorResponses(404, 409),
  },
});

export const updateSetting = createRoute({
  operationId: "updateSetting",
  method: "post",
  path: `${BASE}/{id}`,
  tags,
  summary: "Change a setting; omitted fields stay as they are",
  request: {
    params: z.object({
      id: z
        .string()
        .min(1)
        .openapi({ param: { name: "id", in: "path" } }),
    }),
    body: jsonBody(SettingInputSchema, "The fields to change; `type` must be the setting's type"),
  },
  responses: {
    200: jsonContent(SettingSchema, "The updated setting"),
    ...authenticatedErrors,
    ...bodyErrors,
    ...errorResponses(404, 409),
  },
});

export type GetSettingsRoute = typeof getSettings;
export type AddSettingRoute = typeof addSetting;
export type DeleteSettingRoute = typeof deleteSetting;
export type UpdateSettingRoute = typeof updateSetting;
