import { z } from "@hono/zod-openapi";
import { encodeSegment, type GraphClient } from "./client";
import { ATTACHMENT_SELECT, mailboxPath } from "./mail";

/**
 * A message's attachments through Microsoft Graph:
 * - the import's message pages expand them (`$expand=attachments($select=id,name,contentType,size,isInline)`,
 *   mail.ts): each message carries its list, `@odata.type` per attachment, no `contentBytes`;
 * - otherwise (live sync: delta takes no `$expand`) `GET /users/{mailbox}/messages/{id}/attachments?$select=
 *   id,name,contentType,size,isInline` lists their metadata (the select keeps `contentBytes` out of the list,
 *   so a list never carries a large file);
 * - a small file attachment (at most INLINE_ATTACHMENT_MAX_BYTES) is read whole with
 *   `GET .../attachments/{id}` (base64 `contentBytes`, and its `contentId`);
 * - a larger one is streamed from `GET .../attachments/{id}/$value`, never held whole in memory.
 * Item (an attached Outlook item) and reference (a link to a cloud file) attachments are metadata only.
 */

/** File attachments up to this size are read inline (`contentBytes`); larger ones are streamed. */
export const INLINE_ATTACHMENT_MAX_BYTES = 1024 * 1024;
/** Attachment list pages followed at most (Graph lists a message's attachments on one page in practice). */
const MAX_LIST_PAGES = 10;

const KINDS = {
  "#microsoft.graph.fileAttachment": "file",
  "#microsoft.graph.itemAttachment": "item",
  "#microsoft.graph.referenceAttachment": "reference",
} as const;

export type GraphAttachmentKind = (typeof KINDS)[keyof typeof KINDS];

const listedAttachment = z.object({
  "@odata.type": z.string(),
  id: z.string().min(1).max(2048),
  name: z.string().nullish(),
  contentType: z.string().nullish(),
  size: z.number().int().min(0),
  isInline: z.boolean().nullish(),
});

const fileAttachment = z.object({ contentBytes: z.string(), contentId: z.string().nullish() });

export interface GraphAttachment {
  id: string;
  kind: GraphAttachmentKind;
  name: string;
  contentType: string | null;
  size: number;
  isInline: boolean;
}

/** What the attachment calls need of a Graph client. */
export type AttachmentGraph = Pick<GraphClient, "url" | "get" | "page" | "assertGraphUrl" | "stream">;

const messagePath = (mailbox: string, messageId: string) =>
  `${mailboxPath(mailbox)}/messages/${encodeSegment(messageId)}/attachments`;

export class GraphAttachmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GraphAttachmentError";
  }
}

/** One listed (or expanded) attachment's metadata; throws when Graph's answer does not describe one. */
function describeAttachment(raw: unknown): GraphAttachment {
  const parsed = listedAttachment.safeParse(raw);
  if (!parsed.success) throw new GraphAttachmentError("Microsoft Graph listed an attachment it could not describe");
  const a = parsed.data;
  const kind = KINDS[a["@odata.type"] as keyof typeof KINDS];
  if (!kind) throw new GraphAttachmentError(`Microsoft Graph listed an attachment of type ${a["@odata.type"]}`);
  return {
    id: a.id,
    kind,
    name: a.name ?? "",
    contentType: a.contentType ?? null,
    size: a.size,
    isInline: a.isInline ?? false,
  };
}

/** The metadata of attachments Graph listed or expanded; throws on one it does not describe. */
export const describeAttachments = (raw: unknown[]): GraphAttachment[] => raw.map(describeAttachment);

/**
 * The raw attachment list Graph expanded into a message (`$expand=attachments(...)`), or null when the
 * message does not carry a whole one: no `attachments` (a delta page), or a list cut short with an
 * `attachments@odata.nextLink` (then the message's attachments are listed on their own).
 */
export function expandedAttachments(message: Record<string, unknown>): unknown[] | null {
  const listed = message.attachments;
  if (!Array.isArray(listed) || message["attachments@odata.nextLink"] !== undefined) return null;
  return listed;
}

/** The attachments of a message (metadata only). */
export async function listAttachments(
  client: AttachmentGraph,
  mailbox: string,
  messageId: string,
): Promise<GraphAttachment[]> {
  const out: GraphAttachment[] = [];
  let link: string | undefined = client.url(messagePath(mailbox, messageId), { $select: ATTACHMENT_SELECT });
  for (let page = 0; link && page < MAX_LIST_PAGES; page++) {
    const listed: Awaited<ReturnType<typeof client.page<unknown>>> = await client.page<unknown>(link, 100);
    out.push(...describeAttachments(listed.value));
    link = listed.nextLink ? client.assertGraphUrl(listed.nextLink) : undefined;
  }
  return out;
}

/** A small file attachment read whole: its bytes (base64-decoded) and content id. */
export async function readSmallAttachment(
  client: AttachmentGraph,
  mailbox: string,
  messageId: string,
  attachmentId: string,
): Promise<{ bytes: Uint8Array; contentId: string | null }> {
  const raw = await client.get<unknown>(
    client.url(`${messagePath(mailbox, messageId)}/${encodeSegment(attachmentId)}`),
  );
  const parsed = fileAttachment.safeParse(raw);
  if (!parsed.success) throw new GraphAttachmentError("Microsoft Graph returned a file attachment without its content");
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(parsed.data.contentBytes), (c) => c.charCodeAt(0));
  } catch {
    throw new GraphAttachmentError("Microsoft Graph returned attachment content that is not base64");
  }
  return { bytes, contentId: parsed.data.contentId ?? null };
}

/** A file attachment's raw bytes as a stream, with the length Graph announced. */
export async function streamAttachment(
  client: AttachmentGraph,
  mailbox: string,
  messageId: string,
  attachmentId: string,
): Promise<{ body: ReadableStream<Uint8Array>; length: number }> {
  const response = await client.stream(
    client.url(`${messagePath(mailbox, messageId)}/${encodeSegment(attachmentId)}/$value`),
  );
  const length = Number(response.headers.get("content-length"));
  if (!response.body || !Number.isSafeInteger(length) || length < 0) {
    await response.body?.cancel();
    throw new GraphAttachmentError("Microsoft Graph streamed an attachment without a usable Content-Length");
  }
  return { body: response.body, length };
}
