import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { type Ctx, graphError, json, notFoundInStore } from "./http";
import type { FakeMailbox, FakeMessage } from "./state";

/**
 * Attachments of fake messages (checked against Microsoft's docs: message: list attachments, attachment:
 * get, fileAttachment, itemAttachment, referenceAttachment, "get the raw contents of a file attachment"):
 * - `GET /users/{mailbox}/messages/{id}/attachments[?$select=...]`: the attachments with `@odata.type`;
 *   file attachments carry `contentBytes` (base64) and `contentId` unless `$select` leaves them out;
 * - `GET .../attachments/{attachment id}`: one attachment (files with `contentBytes`);
 * - `GET .../attachments/{attachment id}/$value`: a file's raw bytes, streamed with Content-Length;
 * - `$expand=attachments` on a message page or a message read (./messages.ts): each message carries its
 *   attachments as the list renders them (`@odata.type` per kind; files with `contentBytes` and `contentId`),
 *   or, with `$expand=attachments($select=...)`, only the selected properties (with `@odata.type` and `id`;
 *   never `contentBytes`). The nested `$select` takes the properties of the base `attachment` type only:
 *   `contentId` or `contentBytes` (fileAttachment's) answer 400 `RequestBroker--ParseUri`, as Graph does.
 * `message.hasAttachments` is true only when a non-inline attachment exists (as Graph does).
 * File bytes are generated from a seed on demand (never held for the big ones), so 30 MB files and
 * benches with thousands of attachments cost no memory. A `corrupt` attachment answers 500
 * `ErrorCorruptData` ("error"), or announces its length and cuts the stream half-way ("short").
 *
 * Admin: `POST /__mailboxes/{email}/messages/{id}/attachments` {attachments: [{name, size?, content_type?,
 * kind? ("file"|"item"|"reference"), is_inline?, content_id?, corrupt? ("error"|"short")}]} adds attachments
 * to a message → 201 {attachments: [{id, name, size, sha256, kind, is_inline, content_id}]}; the mailbox
 * spec's `attachment_percent` / `attachment_bytes` (default 200 KB) give that share of the generated messages
 * one file attachment. `POST /__memory/start` / `POST /__memory/stop` sample the resident memory of the
 * workerd processes (Linux /proc) while attachments stream, for the benches: → {start_kib, peak_kib}.
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

/** The properties of Graph's base `attachment` type: all an expansion's nested `$select` may name. */
const ATTACHMENT_PROPERTIES = new Set(["id", "name", "contentType", "size", "isInline", "lastModifiedDateTime"]);

/** A message read's `$expand`: none, the attachments (with the nested `$select`, if any), or why not. */
export type Expansion = null | { select: string[] | null } | { error: string };

export function parseExpand(url: URL): Expansion {
  const raw = url.searchParams.get("$expand");
  if (raw === null) return null;
  const match = /^attachments(?:\(\$select=([^)]*)\))?$/.exec(raw.trim());
  if (!match) return { error: `The fake Graph expands only attachments, not '${raw}'` };
  if (match[1] === undefined) return { select: null };
  const select = match[1].split(",").map((p) => p.trim());
  const unknown = select.find((p) => !ATTACHMENT_PROPERTIES.has(p));
  if (unknown !== undefined) {
    return { error: `Could not find a property named '${unknown}' on type 'microsoft.graph.attachment'.` };
  }
  return { select };
}

/** A message's attachments as an expansion renders them (file bytes only without a nested `$select`). */
export const expandAttachments = (m: FakeMessage, select: string[] | null) =>
  (m.attachments ?? []).map((a) => render(a, select, select === null && a.corrupt === null));

const corrupt = (res: ServerResponse) =>
  graphError(res, 500, "ErrorCorruptData", "The attachment is corrupt and cannot be read.");

/** Whether `pid` descends from this process (the vitest run that started the fake), following /proc ppids. */
function ours(pid: string): boolean {
  let current = pid;
  for (let depth = 0; depth < 10; depth++) {
    const stat = readFileSync(`/proc/${current}/stat`, "utf8");
    const ppid = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1] ?? "0";
    if (Number(ppid) === process.pid) return true;
    if (ppid === "0" || ppid === "1") return false;
    current = ppid;
  }
  return false;
}

/** Resident memory (KiB) of this run's workerd processes, summed (Linux /proc); 0 elsewhere. */
function workerdRssKib(): number {
  let total = 0;
  try {
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "workerd" || !ours(pid)) continue;
        const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
        total += Number(rss?.[1] ?? 0);
      } catch {
        // the process ended
      }
    }
  } catch {
    return 0;
  }
  return total;
}

const memory = { sampling: false, startKib: 0, peakKib: 0 };

function sampleMemory() {
  if (memory.sampling) memory.peakKib = Math.max(memory.peakKib, workerdRssKib());
}

/** `POST /__memory/start|stop` (see above). */
export function memoryControl(action: string) {
  if (action === "start") {
    Object.assign(memory, { sampling: true, startKib: workerdRssKib(), peakKib: 0 });
    const timer = setInterval(() => (memory.sampling ? sampleMemory() : clearInterval(timer)), 20);
    timer.unref();
  } else memory.sampling = false;
  return { start_kib: memory.startKib, peak_kib: Math.max(memory.peakKib, memory.startKib) };
}

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

const answered = (_: unknown) => true;

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
  if (m && mailbox.failing.has(m.immutableId)) return answered(corrupt(ctx.res));
  if (!m) return answered(notFoundInStore(ctx.res));
  const select = ctx.url.searchParams.get("$select")?.split(",") ?? null;
  const attachments = m.attachments ?? [];
  if (!match[2]) {
    json(ctx.res, 200, { value: attachments.map((a) => render(a, select, a.corrupt === null)) });
    return true;
  }
  const a = attachments.find((x) => x.id === match[2]);
  if (!a) return answered(notFoundInStore(ctx.res));
  if (a.corrupt === "error") return answered(corrupt(ctx.res));
  if (!match[3]) json(ctx.res, 200, render(a, select, true));
  else if (a.kind !== "file")
    graphError(ctx.res, 400, "ErrorInvalidRequest", "Only file attachments have raw content.");
  else streamValue(ctx.res, a);
  return true;
}
