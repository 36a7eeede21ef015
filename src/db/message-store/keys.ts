/**
 * Keys of the message store (the MESSAGE_STORE R2 bucket). Every key starts with the org, and no part is
 * taken from input as it came: the org id is percent-encoded (so no `/`, `.` or control character of it
 * reaches the key), the mailbox and the Graph message and attachment ids enter only as SHA-256 hashes.
 *
 *   org/<org>/mailbox/<sha256(mailbox) 32 hex>/message/<sha256(graph id) 32 hex>/body.html | body.txt
 *   .../message/<hash>/body.sanitized.html      the HTML body as sanitized for display (its version in metadata)
 *   .../message/<hash>/attachments/<attachment id: sha256(graph attachment id) 32 hex>
 *
 * A message's key is a function of (org, mailbox, Graph immutable id), so a redelivered import task
 * writes the same keys and a message's objects are found (and deleted) by its prefix.
 */

const MAX_ORG_ID_CHARS = 200;
const HASH_HEX_CHARS = 32;
const HASH_SEGMENT = /^[0-9a-f]{32}$/;

const encoder = new TextEncoder();

const toHex = (buffer: ArrayBuffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Hex SHA-256 of a string (UTF-8) or bytes. */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return toHex(await crypto.subtle.digest("SHA-256", bytes));
}

const idHash = async (value: string) => (await sha256Hex(value)).slice(0, HASH_HEX_CHARS);

/** The org's key segment: its id percent-encoded (dots too), refused when empty or overlong. */
export function orgSegment(orgId: string): string {
  if (orgId.length === 0 || orgId.length > MAX_ORG_ID_CHARS) throw new Error("message store: unusable org id");
  return encodeURIComponent(orgId).replace(/\./g, "%2E");
}

/** Every object of the org. */
export const orgPrefix = (orgId: string) => `org/${orgSegment(orgId)}/`;

/** Every object of one mailbox of the org. */
export async function mailboxPrefix(orgId: string, mailbox: string): Promise<string> {
  return `${orgPrefix(orgId)}mailbox/${await idHash(mailbox.toLowerCase())}/`;
}

/** A message as the store knows it: whose it is and Graph's immutable id. */
export interface MessageRef {
  orgId: string;
  mailbox: string;
  graphId: string;
}

/** Every object of one message (ends with `/`). */
export async function messagePrefix(ref: MessageRef): Promise<string> {
  if (ref.graphId.length === 0) throw new Error("message store: message without a Graph id");
  return `${await mailboxPrefix(ref.orgId, ref.mailbox)}message/${await idHash(ref.graphId)}/`;
}

/** The whole original body: `body.txt` for a text body, `body.html` for any other. */
export const originalBodyKey = (prefix: string, contentType: string | null) =>
  `${prefix}${contentType?.toLowerCase() === "text" ? "body.txt" : "body.html"}`;

/** The HTML body as sanitized for display. */
export const sanitizedBodyKey = (prefix: string) => `${prefix}body.sanitized.html`;

/** This API's id of a Graph attachment (32 hex digits), the same for every import of it. */
export const attachmentIdOf = (graphAttachmentId: string) => idHash(graphAttachmentId);

/** Whether `value` can be an attachment id this API gave out. */
export const isAttachmentId = (value: string) => HASH_SEGMENT.test(value);

export function attachmentKey(prefix: string, attachmentId: string): string {
  if (!isAttachmentId(attachmentId)) throw new Error("message store: not an attachment id");
  return `${prefix}attachments/${attachmentId}`;
}
