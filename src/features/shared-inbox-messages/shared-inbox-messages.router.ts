import { createRouter } from "@/lib/create-app";
import * as handlers from "./shared-inbox-messages.handlers";
import * as routes from "./shared-inbox-messages.routes";

const router = createRouter()
  .openapi(routes.listSharedInboxMessages, handlers.listSharedInboxMessages)
  .openapi(routes.getSharedInboxMessageOriginalBody, handlers.getSharedInboxMessageOriginalBody)
  .openapi(routes.getSharedInboxMessage, handlers.getSharedInboxMessage)
  .openapi(routes.getSharedInboxMessageAttachment, handlers.getSharedInboxMessageAttachment);

export default router;
