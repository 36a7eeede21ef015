import { createRouter } from "@/lib/create-app";
import * as handlers from "./mailboxes.handlers";
import * as routes from "./mailboxes.routes";

const router = createRouter()
  .openapi(routes.getConnectedOutlookEmails, handlers.getConnectedOutlookEmails)
  .openapi(routes.connectOutlookMailbox, handlers.connectOutlookMailbox)
  .openapi(routes.disconnectOutlookMailbox, handlers.disconnectOutlookMailbox)
  .openapi(routes.startMailboxSync, handlers.startMailboxSync)
  .openapi(routes.getMailboxSyncStatus, handlers.getMailboxSyncStatus)
  .openapi(routes.retryMailboxSync, handlers.retryMailboxSync)
  .openapi(routes.listSharedInboxMessages, handlers.listSharedInboxMessages)
  .openapi(routes.getSharedInboxMessageOriginalBody, handlers.getSharedInboxMessageOriginalBody);

export default router;
