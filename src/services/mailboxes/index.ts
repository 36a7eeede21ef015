/**
 * The mailbox feature as the HTTP handlers (and other areas) use it: connecting Outlook mailboxes,
 * their sync (sync/: the lock, the pipeline, the queue consumer, the import) and the imported messages.
 */

export { ensureAllLive, liveStatus, resumeTenantLive } from "./live/live";
export { receiveNotifications, validationEcho } from "./live/notifications";
export {
  connectMailbox,
  disconnectMailbox,
  disconnectTenantMailboxes,
  listMailboxes,
  moveMailboxDataStatements,
} from "./mailboxes";
export { retrySync, startSync, syncStatus } from "./sync/pipeline";
export { tenantMailboxes } from "./tenant-mailboxes";
