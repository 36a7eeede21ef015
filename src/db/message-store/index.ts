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
  attachmentRowsToMove,
  attachmentStatements,
  deleteMovedRows,
  findInboxMessageRow,
  findMessageAttachment,
  graphIdsWithoutRow,
  hasMessageRow,
  hasRowsInD1,
  insertImportedRows,
  type ListedInboxMessage,
  legacyBodiesOf,
  listInboxPage,
  listMessageAttachments,
  type MovingMessageRow,
  markSeenInRound,
  moveMessagesToInbox,
  nextMailboxInD1,
  removalsWorthALookup,
  rowsToMove,
  stillInD1Statement,
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
export { dropContentOf, dropSkippedContent, dropUnclaimedContent } from "./unclaimed";
