/**
 * The mailbox feature as the HTTP handlers (and other areas) use it: connecting Outlook mailboxes,
 * their sync (sync/: the lock, the pipeline, the queue consumer, the import) and the imported messages.
 */

export { ensureAllLive, getMailboxLiveSync, resumeTenantLive } from "./live/live";
export { receiveNotifications, validationEcho } from "./live/notifications";
export {
  connectOutlookMailbox,
  disconnectOutlookMailbox,
  disconnectTenantMailboxes,
  getConnectedOutlookEmails,
  moveMailboxDataStatements,
} from "./mailboxes";
export { getMailboxSyncStatus, retryMailboxSync, startMailboxSync } from "./sync/pipeline";
export { tenantMailboxes } from "./tenant-mailboxes";
