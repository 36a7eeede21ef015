/**
 * What other features (mailboxes) use of the shared-inbox feature. The handlers call the operation
 * modules beside this file: lookup (list, get), add, update, delete. Nothing re-exported here may import
 * another feature: delete.ts imports the mailbox feature, which imports this file.
 */
export { findSharedInbox } from "./lookup";
export { DEFAULT_INBOX, type SharedInboxView, toSharedInboxResponse } from "./response";
