import {
  type AttachmentGraph,
  describeAttachments,
  type GraphAttachment,
  INLINE_ATTACHMENT_MAX_BYTES,
  listAttachments,
  readSmallAttachment,
  streamAttachment,
} from "@/clients/graph/attachments";
import { attachmentIdOf, attachmentKey } from "./keys";
import { existingChecksum, putBytesOnce, putStream } from "./objects";

/**
 * Imports a message's attachments into the store (as Graph listed them with the message's page, else with a
 * request of their own): file attachments up to the cap are stored (small ones read inline, larger ones
 * streamed), bigger ones and item/reference attachments are recorded `skipped` with the reason. An
 * attachment already stored whole under its key (a redelivered task) is not fetched or written again. Any
 * failure (Graph error, corrupt content, a stream of the wrong length) throws: the message then fails and
 * the sync's failed-message / retry machinery takes over.
 */

/** One row of `message_attachments` as the import writes it (JSON through json_each). */
export interface AttachmentRecord {
  graph_id: string;
  id: string;
  name: string;
  content_type: string | null;
  size: number;
  content_id: string | null;
  is_inline: 0 | 1;
  kind: GraphAttachment["kind"];
  state: "stored" | "skipped";
  skipped_reason: string | null;
  r2_key: string | null;
  sha256: string | null;
}

const MAX_NAME_CHARS = 255;
const MAX_CONTENT_ID_CHARS = 998;

/** A content type as `type/subtype` (parameters dropped), or null when Graph's value is not one. */
function mediaType(value: string | null): string | null {
  const type = value?.split(";")[0]?.trim().toLowerCase() ?? "";
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,127}$/.test(type) ? type : null;
}

const SKIPPED_KIND: Record<string, string> = {
  item: "An attached Outlook item (message, event or contact) is recorded as metadata only",
  reference: "A reference attachment is a link to a cloud file; only its metadata is recorded",
};

const overCap = (size: number, maxBytes: number) =>
  `The attachment is ${size} bytes, over the ${maxBytes}-byte limit (MAILBOX_ATTACHMENT_MAX_BYTES)`;

export interface AttachmentSource {
  graph: AttachmentGraph;
  mailbox: string;
  graphMessageId: string;
  /** The list Graph expanded into the message's page (the import); absent: listed with its own request. */
  expanded?: unknown[] | null;
}

/**
 * An attachment stored whole by an earlier delivery (an R2 put lands whole or not at all; Graph's size is
 * kept with it): its checksum and content id, without asking Graph again.
 */
async function alreadyStored(bucket: R2Bucket, key: string, a: GraphAttachment) {
  const head = await bucket.head(key);
  if (!head || head.customMetadata?.graph_size !== String(a.size)) return null;
  const sha256 = await existingChecksum(bucket, key, head.size);
  if (!sha256) return null;
  return { sha256, size: head.size, contentId: head.customMetadata?.content_id || null };
}

async function storeFile(
  bucket: R2Bucket,
  source: AttachmentSource,
  a: GraphAttachment,
  key: string,
  contentType: string,
  maxBytes: number,
): Promise<{ sha256: string; size: number; contentId: string | null } | { over: number }> {
  const known = await alreadyStored(bucket, key, a);
  if (known) return known;
  const { graph, mailbox, graphMessageId } = source;
  const graphSize = String(a.size);
  if (a.size <= INLINE_ATTACHMENT_MAX_BYTES) {
    const small = await readSmallAttachment(graph, mailbox, graphMessageId, a.id);
    if (small.bytes.byteLength > maxBytes) return { over: small.bytes.byteLength };
    const contentId = small.contentId?.slice(0, MAX_CONTENT_ID_CHARS) ?? null;
    const { sha256 } = await putBytesOnce(bucket, key, small.bytes, contentType, {
      graph_size: graphSize,
      content_id: contentId ?? "",
    });
    return { sha256, size: small.bytes.byteLength, contentId };
  }
  const stream = await streamAttachment(graph, mailbox, graphMessageId, a.id);
  if (stream.length > maxBytes) {
    await stream.body.cancel();
    return { over: stream.length };
  }
  const { sha256 } = await putStream(bucket, key, stream.body, stream.length, contentType, { graph_size: graphSize });
  return { sha256, size: stream.length, contentId: null };
}

/** Imports every attachment of one message under `prefix`; answers their rows. */
export async function importAttachments(
  bucket: R2Bucket,
  source: AttachmentSource,
  prefix: string,
  maxBytes: number,
): Promise<AttachmentRecord[]> {
  const listed = source.expanded
    ? describeAttachments(source.expanded)
    : await listAttachments(source.graph, source.mailbox, source.graphMessageId);
  const records: AttachmentRecord[] = [];
  for (const a of listed) {
    const id = await attachmentIdOf(a.id);
    const record: AttachmentRecord = {
      graph_id: source.graphMessageId,
      id,
      name: a.name.slice(0, MAX_NAME_CHARS),
      content_type: mediaType(a.contentType),
      size: a.size,
      content_id: null,
      is_inline: a.isInline ? 1 : 0,
      kind: a.kind,
      state: "skipped",
      skipped_reason: null,
      r2_key: null,
      sha256: null,
    };
    if (a.kind !== "file") record.skipped_reason = SKIPPED_KIND[a.kind] ?? "Not a file attachment";
    else if (a.size > maxBytes) {
      record.skipped_reason = overCap(a.size, maxBytes);
    } else {
      const key = attachmentKey(prefix, id);
      const type = record.content_type ?? "application/octet-stream";
      const stored = await storeFile(bucket, source, a, key, type, maxBytes);
      if ("over" in stored) record.skipped_reason = overCap(stored.over, maxBytes);
      else {
        Object.assign(record, {
          state: "stored",
          size: stored.size,
          r2_key: key,
          sha256: stored.sha256,
          content_id: stored.contentId,
        });
      }
    }
    records.push(record);
  }
  return records;
}
