import { migrateLegacyBody, readServedBody } from "@/db/message-store";
import type { Services } from "@/lib/services";
import { normalizeContentId, rewriteCidImages } from "./cid";
import { attachmentsOf, findInboxMessage, type InboxMessage } from "./inbox-messages";
import { messageHeaderFields } from "./message-fields";

/**
 * getSharedInboxMessage: one imported message whole, its body from the message store (sanitized for
 * display, `cid:` images pointing at their attachments' URLs) and its attachment list. A message whose
 * body is still in D1 (imported before the store) has it moved to the store on this read.
 */

const MESSAGES_PATH = "/v2/email-settings/shared-inboxes";

export const attachmentUrl = (inboxId: string, messageId: string, attachmentId: string) =>
  `${MESSAGES_PATH}/${encodeURIComponent(inboxId)}/messages/${encodeURIComponent(messageId)}/attachments/${attachmentId}`;

/** The served body; a D1 body is moved into the store first (then served from there). */
async function servedBodyOf(services: Pick<Services, "d1" | "messageContent">, orgId: string, row: InboxMessage) {
  const ref = { orgId, mailbox: row.mailbox, graphId: row.graphId };
  if (row.home.store === "d1" && row.home.legacyBody !== null) {
    await migrateLegacyBody(services.d1, services.messageContent, { ...row, orgId, body: row.home.legacyBody });
  }
  const served = await readServedBody(services.messageContent, ref, row.bodyContentType);
  return { content: served.content, truncated: row.bodyTruncated || served.truncated };
}

export async function getSharedInboxMessage(
  services: Pick<Services, "db" | "d1" | "messageContent" | "mailboxObjects">,
  orgId: string,
  inboxId: string,
  messageId: string,
) {
  const row = await findInboxMessage(services, orgId, inboxId, messageId);
  const [served, attachments] = await Promise.all([
    servedBodyOf(services, orgId, row),
    attachmentsOf(services, orgId, row),
  ]);
  const listed = attachments.map((a) => ({
    id: a.id,
    name: a.name,
    content_type: a.contentType,
    size: a.size,
    content_id: a.contentId,
    is_inline: a.isInline,
    kind: a.kind,
    state: a.state,
    skipped_reason: a.skippedReason,
    sha256: a.sha256,
    url: a.state === "stored" ? attachmentUrl(inboxId, row.id, a.id) : null,
  }));
  const cids = new Map(
    listed.flatMap((a) => (a.url && a.content_id ? [[normalizeContentId(a.content_id), a.url] as const] : [])),
  );
  const html = row.bodyContentType?.toLowerCase() !== "text";
  const content = served.content !== null && html ? rewriteCidImages(served.content, cids) : served.content;
  return {
    ...messageHeaderFields(row),
    body: { content_type: row.bodyContentType, content, truncated: served.truncated, size: row.bodySize },
    has_attachments: row.hasAttachments,
    attachments: listed,
    shared_inbox_id: row.sharedInboxId,
    bucket_id: row.bucketId,
    imported_at: row.importedAt,
  };
}
