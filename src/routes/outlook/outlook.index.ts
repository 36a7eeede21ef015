import { createRouter } from "@/lib/create-app";
import * as handlers from "./outlook.handlers";
import * as routes from "./outlook.routes";

const router = createRouter()
  .openapi(routes.connectOutlook, handlers.connectOutlook)
  .openapi(routes.outlookOAuthCallback, handlers.outlookOAuthCallback)
  .openapi(routes.getOutlookConnectionStatus, handlers.getOutlookConnectionStatus)
  .openapi(routes.disconnectOutlook, handlers.disconnectOutlook);

export default router;
