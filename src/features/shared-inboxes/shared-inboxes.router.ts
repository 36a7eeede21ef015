import { createRouter } from "@/lib/create-app";
import * as handlers from "./shared-inboxes.handlers";
import * as routes from "./shared-inboxes.routes";

const router = createRouter()
  .openapi(routes.listSharedInboxes, handlers.listSharedInboxes)
  .openapi(routes.addSharedInbox, handlers.addSharedInbox)
  .openapi(routes.getSharedInbox, handlers.getSharedInbox)
  .openapi(routes.updateSharedInbox, handlers.updateSharedInbox)
  .openapi(routes.deleteSharedInbox, handlers.deleteSharedInbox);

export default router;
