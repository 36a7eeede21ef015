/**
 * The messages of a shared inbox, the operations under `/v2/email-settings/shared-inboxes/{id}/messages`:
 * the listing, one whole message, its original body and its attachments. Reads only; the mail comes from
 * the mailboxes feature's import and live sync, its content from the message store.
 */
export { getSharedInboxMessageAttachment } from "./download";
export { getSharedInboxMessageOriginalBody, listSharedInboxMessages } from "./list";
export { getSharedInboxMessage } from "./read";
