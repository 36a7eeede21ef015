/**
 * The mailbox feature as the HTTP handlers (and other areas) use it: connecting Outlook mailboxes, their
 * sync (sync/: the lock, the pipeline, the queue consumer, the import), live sync, and what the Microsoft 365
 * connection has done to a tenant's mailboxes. The imported messages are the shared-inbox-messages room's.
 */

export { ensureAllLive, getMailboxLiveSync } from "./live/live";
export { receiveNotifications, validationEcho } from "./live/notifications";
export {
  connectOutlookMailbox,
  disconnectOutlookMailbox,
  getConnectedOutlookEmails,
  moveMailboxDataStatements,
} from "./mailboxes";
export { queueMailboxMoves } from "./move";
/** The mailbox's Durable Object, whose message index the shared inbox's reads ask. */
export { lockStub } from "./sync/lock-stub";
export { getMailboxSyncStatus, retryMailboxSync, startMailboxSync } from "./sync/pipeline";
export { tenantMailboxes } from "./tenant-mailboxes";
