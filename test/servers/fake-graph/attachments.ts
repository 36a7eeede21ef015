import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";
import { type Ctx, graphError, json, notFoundInStore } from "./http";
import type { FakeMailbox, FakeMessage } from "./state";

/**
 * Attachments of fake messages (checked against Microsoft's docs: message: list attachments, attachment:
 * get, fileAttachment, itemAttachment, referenceAttachment, "get the raw contents of a file attachment"):
 * - `GET /users/{mailbox}/messages/{id}/attachments[?$select=...]`: the attachments with `@odata.type`;
 *   file attachments carry `contentBytes` (base64) and `contentId` unless `$select` leaves them out;
 * - `GET .../attachments/{attachment id}`: one attachment (files with `contentBytes`);
 * - `GET .../attachments/{attachment id}/$value`: a file's raw bytes, streamed with Content-Length.
 * `message.hasAttachments` is true only when a non-inline attachment exists (as Graph does).
 * File bytes are generated from a seed on demand (never held for the big ones), so 30 MB files and
 * benches with thousands of attachments cost no memory. A `corrupt` attachment answers 500
 * `ErrorCorruptData` ("error"), or announces its length and cuts the stream half-way ("short").
 *
 * Admin: `POST /__mailboxes/{email}/messages/{id}/attachments` {attachments: [{name, size?, content_type?,
 * kind? ("file"|"item"|"reference"), is_inline?, content_id?, corrupt? ("error"|"short")}]} adds attachments
 * to a message → 201 {attachments: [{id, name, size, sha256, kind, is_inline, content_id}]}; the mailbox
 * spec's `attachment_every` / `attachment_bytes` give every Nth generated message one file attachment.
 */

export interface FakeAttachment {
  id: string;
  kind: "file" | "item" | "reference";
  name: string;
  contentType: string;
  size: number;
  isInline: boolean;
  contentId: string | null;
  seed: number;
  corrupt: "error" | "short" | null;
}

const ODATA_TYPE = {
  file: "#microsoft.graph.fileAttachment",
  item: "#microsoft.graph.itemAttachment",
  reference: "#microsoft.graph.referenceAttachment",
} as const;

const CHUNK = 64 * 1024;

/** Bytes [offset, offset + length) of a seeded attachment (xorshift per 4-byte word). */
export function attachmentChunk(seed: number, offset: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    const p = offset + i;
    let x = (Math.floor(p / 4) * 2654435761 + seed * 40503) >>> 0;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> ((p % 4) * 8)) & 0xff;
  }
  return out;
}

export const attachmentBytes = (a: FakeAttachment) => attachmentChunk(a.seed, 0, a.size);

export function attachmentSha256(a: FakeAttachment): string {
  const hash = createHash("sha256");
  for (let offset = 0; offset < a.size; offset += CHUNK) {
    hash.update(attachmentChunk(a.seed, offset, Math.min(CHUNK, a.size - offset)));
  }
  return hash.digest("hex");
}

let nextSeed = 1;

export function newAttachment(m: FakeMessage, spec: Record<string, unknown>): FakeAttachment {
  const index = m.attachments?.length ?? 0;
  const kind = spec.kind === "item" || spec.kind === "reference" ? spec.kind : "file";
  return {
    id: `AAMkAtt-${m.immutableId.replace(/=+$/, "")}-${index}=`,
    kind,
    name: typeof spec.name === "string" ? spec.name : `attachment-${index}.bin`,
    contentType: typeof spec.content_type === "string" ? spec.content_type : "application/octet-stream",
    size: typeof spec.size === "number" ? spec.size : 1024,
    isInline: spec.is_inline === true,
    contentId: typeof spec.content_id === "string" ? spec.content_id : null,
    seed: nextSeed++,
    corrupt: spec.corrupt === "error" || spec.corrupt === "short" ? spec.corrupt : null,
  };
}

export const hasAttachments = (m: FakeMessage) => (m.attachments ?? []).some((a) => !a.isInline);

export function adminAttachmentView(a: FakeAttachment) {
  return {
    id: a.id,
    name: a.name,
    size: a.size,
    sha256: attachmentSha256(a),
    kind: a.kind,
    is_inline: a.isInline,
    content_id: a.contentId,
  };
}

function render(a: FakeAttachment, select: string[] | null, withContent: boolean) {
  const full: Record<string, unknown> = {
    "@odata.type": ODATA_TYPE[a.kind],
    id: a.id,
    lastModifiedDateTime: "2026-01-01T00:00:00Z",
    name: a.name,
    contentType: a.contentType,
    size: a.size,
    isInline: a.isInline,
  };
  if (a.kind === "file") {
    full.contentId = a.contentId;
    if (withContent) full.contentBytes = attachmentBytes(a).toString("base64");
  }
  if (!select) return full;
  return Object.fromEntries(
    Object.entries(full).filter(([k]) => k === "@odata.type" || k === "id" || select.includes(k)),
  );
}

const corrupt = (res: ServerResponse) =>
  graphError(res, 500, "ErrorCorruptData", "The attachment is corrupt and cannot be read.");

function streamValue(res: ServerResponse, a: FakeAttachment) {
  res.writeHead(200, { "content-type": a.contentType, "content-length": String(a.size) });
  const end = a.corrupt === "short" ? Math.floor(a.size / 2) : a.size;
  let offset = 0;
  const pump = () => {
    while (offset < end) {
      const chunk = attachmentChunk(a.seed, offset, Math.min(CHUNK, end - offset));
      offset += chunk.length;
      if (!res.write(chunk)) return void res.once("drain", pump);
    }
    if (a.corrupt === "short") res.destroy();
    else res.end();
  };
  pump();
}

/** `messages/{id}/attachments[/{aid}[/$value]]`; answers false when `rest` is not such a path. */
export function attachmentRoutes(
  ctx: Ctx,
  mailbox: FakeMailbox,
  rest: string,
  find: (id: string) => FakeMessage | undefined,
): boolean {
  const match = /^messages\/([^/]+)\/attachments(?:\/([^/]+)(\/\$value)?)?$/.exec(rest);
  if (!match) return false;
  const m = find(match[1] ?? "");
  if (m && mailbox.failing.has(m.immutableId)) return (corrupt(ctx.res), true);
  if (!m) return (notFoundInStore(ctx.res), true);
  const select = ctx.url.searchParams.get("$select")?.split(",") ?? null;
  const attachments = m.attachments ?? [];
  if (!match[2]) {
    json(ctx.res, 200, { value: attachments.map((a) => render(a, select, a.corrupt === null)) });
    return true;
  }
  const a = attachments.find((x) => x.id === match[2]);
  if (!a) return (notFoundInStore(ctx.res), true);
  if (a.corrupt === "error") return (corrupt(ctx.res), true);
  if (!match[3]) json(ctx.res, 200, render(a, select, true));
  else if (a.kind !== "file")
    graphError(ctx.res, 400, "ErrorInvalidRequest", "Only file attachments have raw content.");
  else streamValue(ctx.res, a);
  return true;
}
