import { createRouter } from "@/lib/create-app";
import * as handlers from "./settings.handlers";
import * as routes from "./settings.routes";

const router = createRouter()
  .openapi(routes.getSettings, handlers.getSettings)
  .openapi(routes.addSetting, handlers.addSetting)
  .openapi(routes.deleteSetting, handlers.deleteSetting)
  .openapi(routes.updateSetting, handlers.updateSetting);

export default router;
