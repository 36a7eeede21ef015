import { createRouter } from "@/lib/create-app";
import { LIFECYCLE_PATH, NOTIFICATION_PATH } from "@/shared/mailbox-live";
import * as handlers from "./mailboxes.handlers";
import * as routes from "./mailboxes.routes";

const router = createRouter()
  .openapi(routes.getConnectedOutlookEmails, handlers.getConnectedOutlookEmails)
  .openapi(routes.connectOutlookMailbox, handlers.connectOutlookMailbox)
  .openapi(routes.disconnectOutlookMailbox, handlers.disconnectOutlookMailbox)
  .openapi(routes.startMailboxSync, handlers.startMailboxSync)
  .openapi(routes.getMailboxSyncStatus, handlers.getMailboxSyncStatus)
  .openapi(routes.retryMailboxSync, handlers.retryMailboxSync)
  .openapi(routes.getMailboxLiveSync, handlers.getMailboxLiveSync);

// Microsoft Graph's change notifications and lifecycle events: public, outside the OpenAPI document.
router.post(NOTIFICATION_PATH, handlers.graphNotifications("change"));
router.post(LIFECYCLE_PATH, handlers.graphNotifications("lifecycle"));

export default router;
