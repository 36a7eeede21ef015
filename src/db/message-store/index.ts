/**
 * The message store: where imported mail's content lives (R2: original bodies, sanitized copies,
 * attachments) and the SQL that ties it to the message rows. Storage only: the operations on messages
 * are the shared-inbox-messages room's, the import's and live sync's writers are the mailboxes feature's.
 */
export type { AttachmentRecord } from "./attachments";
export { backfillLegacyBodies } from "./backfill";
export { migrateLegacyBody, readOriginalBody, readServedBody } from "./bodies";
export { type StoredBodyColumns, storeBatch } from "./import-batch";
export {
  attachmentStatements,
  findInboxMessageRow,
  findMessageAttachment,
  insertImportedRows,
  type ListedInboxMessage,
  listInboxPage,
  listMessageAttachments,
  markSeenInRound,
  moveMessagesToInbox,
  removalsWorthALookup,
  sweepUnseenRows,
  tombstoneRemovedRows,
  upsertLiveRows,
} from "./imported-messages.store";
export { isAttachmentId, mailboxPrefix, messagePrefix, orgPrefix } from "./keys";
export {
  isHtmlBody,
  MAIL_SANITIZER_VERSION,
  sanitizeForStorage,
  sanitizeMailBody,
  servedBody,
} from "./message-bodies";
export { deleteMailboxContent, removeMessageContent } from "./rows";
export { dropSkippedContent, dropUnclaimedContent } from "./unclaimed";
