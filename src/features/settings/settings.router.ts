import { createRouter } from "@/lib/create-app";
import { type DomainSettingsOf, settingsHandlers } from "./settings.handlers";
import * as routes from "./settings.routes";

/** The legacy settings operations; `domainSettings` is the domains feature's side of `email_domain` settings. */
export function createSettingsRouter(domainSettings: DomainSettingsOf) {
  const handlers = settingsHandlers(domainSettings);
  return createRouter()
    .openapi(routes.getSettings, handlers.getSettings)
    .openapi(routes.addSetting, handlers.addSetting)
    .openapi(routes.deleteSetting, handlers.deleteSetting)
    .openapi(routes.updateSetting, handlers.updateSetting);
}
