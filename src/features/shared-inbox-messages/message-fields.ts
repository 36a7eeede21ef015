import type { ImportedMessageRow } from "@/db/schema";

type HeaderRow = Pick<
  ImportedMessageRow,
  | "id"
  | "graphId"
  | "mailbox"
  | "folder"
  | "subject"
  | "fromAddress"
  | "fromName"
  | "toRecipients"
  | "ccRecipients"
  | "receivedAt"
  | "sentAt"
  | "conversationId"
  | "bodyPreview"
>;

/** The fields every message answer shares (the listing and getSharedInboxMessage), body aside. */
export function messageHeaderFields(row: HeaderRow) {
  return {
    id: row.id,
    graph_id: row.graphId,
    mailbox: row.mailbox,
    folder: row.folder,
    subject: row.subject,
    from: row.fromAddress ? { address: row.fromAddress, ...(row.fromName && { name: row.fromName }) } : null,
    to: row.toRecipients,
    cc: row.ccRecipients,
    received_at: row.receivedAt,
    sent_at: row.sentAt,
    conversation_id: row.conversationId,
    body_preview: row.bodyPreview,
  };
}
