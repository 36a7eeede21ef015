import { isAttachmentId } from "@/db/message-store";
import { notFound } from "@/lib/errors";
import type { Services } from "@/lib/services";
import { attachmentDisposition } from "./disposition";
import { attachmentOf, findInboxMessage } from "./inbox-messages";
import { parseRange } from "./range";

/**
 * getSharedInboxMessageAttachment: a stored attachment streamed from the message store, never rendered by
 * a browser (`Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`, `Content-Security-Policy:
 * sandbox`), with its exact length, `Accept-Ranges: bytes`, and one HTTP range (206 with Content-Range; a
 * range past the end is 416). Another org's (or inbox's, or message's) attachment is a 404.
 */

export type AttachmentDownload =
  | { kind: "body"; status: 200 | 206; body: ReadableStream; headers: Record<string, string> }
  | { kind: "unsatisfiable"; size: number };

const SAFE_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,127}$/;

export async function getSharedInboxMessageAttachment(
  services: Pick<Services, "db" | "messageContent" | "mailboxObjects">,
  orgId: string,
  ids: { inboxId: string; messageId: string; attachmentId: string },
  rangeHeader: string | undefined,
): Promise<AttachmentDownload> {
  const message = await findInboxMessage(services, orgId, ids.inboxId, ids.messageId);
  const missing = notFound(`Attachment '${ids.attachmentId}' not found on message '${ids.messageId}'`);
  if (!isAttachmentId(ids.attachmentId)) throw missing;
  const row = await attachmentOf(services, orgId, message, ids.attachmentId);
  if (!row) throw missing;
  if (row.state !== "stored" || !row.r2Key) {
    throw notFound(`Attachment '${ids.attachmentId}' was not stored: ${row.skippedReason ?? "skipped at import"}`);
  }
  const head = await services.messageContent.head(row.r2Key);
  if (!head) throw notFound(`Attachment '${ids.attachmentId}' is no longer stored`);
  const range = parseRange(rangeHeader, head.size);
  if (range.kind === "unsatisfiable") return { kind: "unsatisfiable", size: head.size };
  const object = await services.messageContent.get(
    row.r2Key,
    range.kind === "range" ? { range: { offset: range.offset, length: range.length } } : {},
  );
  if (!object) throw notFound(`Attachment '${ids.attachmentId}' is no longer stored`);
  const headers: Record<string, string> = {
    "Content-Type": row.contentType && SAFE_TYPE.test(row.contentType) ? row.contentType : "application/octet-stream",
    "Content-Disposition": attachmentDisposition(row.name),
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox",
    "Accept-Ranges": "bytes",
    "Cache-Control": "private, no-store",
    ...(row.sha256 && { ETag: `"${row.sha256}"` }),
  };
  if (range.kind === "range") {
    headers["Content-Length"] = String(range.length);
    headers["Content-Range"] = `bytes ${range.offset}-${range.offset + range.length - 1}/${head.size}`;
    return { kind: "body", status: 206, body: object.body, headers };
  }
  headers["Content-Length"] = String(head.size);
  return { kind: "body", status: 200, body: object.body, headers };
}
