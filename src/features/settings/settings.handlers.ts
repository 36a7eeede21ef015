import { addSetting as add } from "@/features/settings/add";
import { deleteSetting as remove } from "@/features/settings/delete";
import { getSettings as get } from "@/features/settings/lookup";
import { updateSetting as update } from "@/features/settings/update";
import type { Services } from "@/lib/services";
import type { AppRouteHandler } from "@/lib/types";
import type { DomainSettings } from "./domain-settings";
import type { AddSettingRoute, DeleteSettingRoute, GetSettingsRoute, UpdateSettingRoute } from "./settings.routes";

/** How the settings handlers reach the domains feature's rules (wired by src/app.ts, see DomainSettings). */
export type DomainSettingsOf = (services: Services) => DomainSettings;

export function settingsHandlers(domainSettings: DomainSettingsOf) {
  const getSettings: AppRouteHandler<GetSettingsRoute> = async (c) => {
    const { orgId } = c.get("auth");
    const { type, id } = c.req.valid("query");
    return c.json(await get(c.get("services"), orgId, type, id), 200);
  };

  const addSetting: AppRouteHandler<AddSettingRoute> = async (c) => {
    const { orgId, userId } = c.get("auth");
    const services = c.get("services");
    return c.json(await add(services, domainSettings(services), orgId, userId, c.req.valid("json")), 200);
  };

  const updateSetting: AppRouteHandler<UpdateSettingRoute> = async (c) => {
    const { orgId, userId } = c.get("auth");
    const { id } = c.req.valid("param");
    return c.json(await update(c.get("services"), orgId, userId, id, c.req.valid("json")), 200);
  };

  const deleteSetting: AppRouteHandler<DeleteSettingRoute> = async (c) => {
    const { orgId, userId } = c.get("auth");
    const { id, type } = c.req.valid("json");
    const services = c.get("services");
    return c.json(await remove(services, domainSettings(services), orgId, userId, id, type), 200);
  };

  return { getSettings, addSetting, updateSetting, deleteSetting };
}
