import type { AppRouteHandler } from "@/lib/types";
import { domainSettings } from "@/services/domains";
import { addSetting as add } from "@/services/settings/add";
import { deleteSetting as remove } from "@/services/settings/delete";
import { getSettings as get } from "@/services/settings/lookup";
import { updateSetting as update } from "@/services/settings/update";
import type { AddSettingRoute, DeleteSettingRoute, GetSettingsRoute, UpdateSettingRoute } from "./settings.routes";

export const getSettings: AppRouteHandler<GetSettingsRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { type, id } = c.req.valid("query");
  return c.json(await get(c.env, orgId, type, id), 200);
};

export const addSetting: AppRouteHandler<AddSettingRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  return c.json(await add(c.env, domainSettings(c.env), orgId, userId, c.req.valid("json")), 200);
};

export const updateSetting: AppRouteHandler<UpdateSettingRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const { id } = c.req.valid("param");
  return c.json(await update(c.env, orgId, userId, id, c.req.valid("json")), 200);
};

export const deleteSetting: AppRouteHandler<DeleteSettingRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const { id, type } = c.req.valid("json");
  return c.json(await remove(c.env, domainSettings(c.env), orgId, userId, id, type), 200);
};
