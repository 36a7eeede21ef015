import type { AttachmentGraph } from "@/clients/graph/attachments";
import { logEvent } from "@/lib/log";
import { type AttachmentRecord, importAttachments } from "./attachments";
import { type MessageRef, messagePrefix, originalBodyKey, sanitizedBodyKey } from "./keys";
import { isHtmlBody, MAIL_SANITIZER_VERSION, sanitizeMailBody } from "./message-bodies";
import { deletePrefix, putTextOnce } from "./objects";

/**
 * A message's content into the store, before its metadata row is written to D1: attachments first, then
 * the whole original body and (HTML) its sanitized copy. Everything is idempotent per key, so a
 * redelivered task writes nothing twice. A failure throws; what this attempt stored is removed again when
 * the message has no row yet (nothing else points at it), so a message that never imports leaves nothing.
 */

export interface MessageContent {
  ref: MessageRef;
  contentType: string | null;
  /** The whole body as Graph gave it (not cut). */
  body: string;
  /** Graph's lastModifiedDateTime of this version (ISO), when known. */
  modifiedAt: string | null;
  hasAttachments: boolean;
  /** The attachment list Graph expanded into the message's page (the import), else null: listed on its own. */
  expandedAttachments?: unknown[] | null;
}

export interface StoredContent {
  /** UTF-8 bytes of the original body. */
  bodySize: number;
  attachments: AttachmentRecord[];
}

export interface ContentOptions {
  /** Graph, for the attachments (null: the message's attachments are not fetched). */
  graph: AttachmentGraph | null;
  attachmentMaxBytes: number;
  /** Whether the message already has a row (then a failure leaves its stored objects alone). */
  hasRow: () => Promise<boolean>;
}

const TEXT_TYPE = "text/plain; charset=utf-8";
const HTML_TYPE = "text/html; charset=utf-8";

/** Stores the original body and, for HTML, its sanitized copy (with the sanitizer's version). */
export async function storeBodies(
  bucket: R2Bucket,
  prefix: string,
  content: Pick<MessageContent, "contentType" | "body" | "modifiedAt">,
): Promise<number> {
  const html = isHtmlBody(content.contentType, content.body);
  const original = await putTextOnce(bucket, {
    key: originalBodyKey(prefix, content.contentType),
    text: content.body,
    contentType: html ? HTML_TYPE : TEXT_TYPE,
    modifiedAt: content.modifiedAt,
  });
  if (html) {
    const clean = sanitizeMailBody(content.body);
    await putTextOnce(bucket, {
      key: sanitizedBodyKey(prefix),
      text: clean.html,
      contentType: HTML_TYPE,
      modifiedAt: content.modifiedAt,
      metadata: { sanitizer_version: MAIL_SANITIZER_VERSION, truncated: clean.truncated ? "1" : "0" },
    });
  }
  return original.size;
}

export async function storeMessageContent(
  bucket: R2Bucket,
  content: MessageContent,
  options: ContentOptions,
): Promise<StoredContent> {
  const prefix = await messagePrefix(content.ref);
  try {
    const attachments =
      content.hasAttachments && options.graph
        ? await importAttachments(
            bucket,
            {
              graph: options.graph,
              mailbox: content.ref.mailbox,
              graphMessageId: content.ref.graphId,
              expanded: content.expandedAttachments,
            },
            prefix,
            options.attachmentMaxBytes,
          )
        : [];
    const bodySize = await storeBodies(bucket, prefix, content);
    return { bodySize, attachments };
  } catch (err) {
    if (!(await options.hasRow().catch(() => true))) {
      await deletePrefix(bucket, prefix).catch((cleanup) =>
        logEvent("warn", "message_store_cleanup_failed", {
          orgId: content.ref.orgId,
          error: cleanup instanceof Error ? cleanup.name : typeof cleanup,
        }),
      );
    }
    throw err;
  }
}
