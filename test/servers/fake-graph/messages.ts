import type { Caller } from "./access";
import { type Expansion, expandAttachments, hasAttachments, parseExpand } from "./attachments";
import { type Ctx, graphError, json, notFoundInStore } from "./http";
import { type FakeMailbox, type FakeMessage, type Folder, findMessage } from "./state";

/**
 * Folder and message reads: `mailFolders/{inbox|sentitems}`, `mailFolders/{folder}/messages` (`$filter` on
 * receivedDateTime/sentDateTime ge|gt|le|lt joined by `and`, `$select`, date-desc order, `Prefer:
 * odata.maxpagesize`, absolute `@odata.nextLink` with `$skiptoken`) and `messages/{id}`, both with
 * `$expand=attachments[($select=...)]` (./attachments.ts; an expansion costs no request of its own).
 */

/** `receivedDateTime ge 2024-01-01T00:00:00Z and ...` */
export function parseFilter(filter: string | null): ((m: FakeMessage) => boolean) | "invalid" {
  if (!filter) return () => true;
  const clauses = filter.split(/\s+and\s+/i).map((clause) => {
    const match = /^(receivedDateTime|sentDateTime)\s+(ge|gt|le|lt)\s+(\S+)$/.exec(clause.trim());
    if (!match) return undefined;
    const [, field, op, value] = match as unknown as [string, "receivedDateTime" | "sentDateTime", string, string];
    const bound = Date.parse(value);
    if (!Number.isFinite(bound)) return undefined;
    return (m: FakeMessage) => {
      const at = Date.parse(m[field]);
      return op === "ge" ? at >= bound : op === "gt" ? at > bound : op === "le" ? at <= bound : at < bound;
    };
  });
  if (clauses.some((c) => c === undefined)) return "invalid";
  return (m) => clauses.every((c) => c?.(m));
}

export function render(
  m: FakeMessage,
  immutable: boolean,
  select: string[] | null,
  failing: boolean,
  expand: Expansion = null,
) {
  const full: Record<string, unknown> = {
    id: immutable ? m.immutableId : m.restId,
    subject: m.subject,
    from: { emailAddress: { address: m.from, name: m.from.split("@")[0] } },
    toRecipients: m.to.map((address) => ({ emailAddress: { address, name: address.split("@")[0] } })),
    ccRecipients: m.cc.map((address) => ({ emailAddress: { address } })),
    receivedDateTime: m.receivedDateTime,
    sentDateTime: m.sentDateTime,
    lastModifiedDateTime: m.lastModifiedDateTime,
    changeKey: `CQAAABYAAA-${m.n}-${m.version}`,
    parentFolderId: `folder-${m.folder}`,
    isRead: m.isRead,
    conversationId: m.conversationId,
    bodyPreview: m.body.replace(/<[^>]+>/g, "").slice(0, 255),
    body: { contentType: "html", content: m.body },
    hasAttachments: hasAttachments(m),
  };
  if (failing) {
    // A corrupt item: Graph lists it without the properties it cannot read.
    full.receivedDateTime = null;
    full.body = null;
  }
  const selected = select
    ? Object.fromEntries(Object.entries(full).filter(([k]) => k === "id" || select.includes(k)))
    : full;
  // An expanded navigation property comes whatever the top-level $select names.
  if (expand && "select" in expand) selected.attachments = expandAttachments(m, expand.select);
  return selected;
}

/** Answers 400 (and true) for an `$expand` the fake (or Graph) does not take. */
function badExpand(ctx: Ctx, expand: Expansion): boolean {
  if (!expand || !("error" in expand)) return false;
  graphError(ctx.res, 400, "RequestBroker--ParseUri", expand.error);
  return true;
}

export const selectOf = (url: URL) => url.searchParams.get("$select")?.split(",") ?? null;

export function pageSize(caller: Caller, mailbox: FakeMailbox) {
  const requested = Number(/odata\.maxpagesize=(\d+)/.exec(caller.prefer)?.[1] ?? 10);
  return Math.max(1, Math.min(requested, 1000, mailbox.maxPageSize ?? 1000));
}

export function folderInfo(ctx: Ctx, mailbox: FakeMailbox, folder: Folder) {
  return json(ctx.res, 200, {
    id: `folder-${folder}`,
    displayName: folder === "inbox" ? "Inbox" : "Sent Items",
    totalItemCount: mailbox.messages.filter((m) => m.folder === folder).length,
  });
}

export function listMessages(ctx: Ctx, caller: Caller, mailbox: FakeMailbox, folder: Folder) {
  const { url } = ctx;
  const filter = parseFilter(url.searchParams.get("$filter"));
  if (filter === "invalid") return graphError(ctx.res, 400, "BadRequest", "Invalid filter clause");
  const select = selectOf(url);
  const expand = parseExpand(url);
  if (badExpand(ctx, expand)) return;
  const size = pageSize(caller, mailbox);
  const skip = Number(url.searchParams.get("$skiptoken") ?? 0);
  const orderField = folder === "sentitems" ? "sentDateTime" : "receivedDateTime";
  const all = mailbox.messages
    .filter((m) => m.folder === folder && filter(m))
    .sort((a, b) => Date.parse(b[orderField]) - Date.parse(a[orderField]) || b.n - a.n);
  const page = all.slice(skip, skip + size);
  const body: Record<string, unknown> = {
    value: page.map((m) => render(m, caller.immutable, select, mailbox.failing.has(m.immutableId), expand)),
  };
  if (skip + size < all.length) {
    const next = new URL(url.toString());
    if (mailbox.nextLinkHost) next.host = mailbox.nextLinkHost;
    next.searchParams.set("$skiptoken", String(skip + size));
    body["@odata.nextLink"] = next.toString();
  }
  return json(ctx.res, 200, body);
}

export function getMessage(ctx: Ctx, caller: Caller, mailbox: FakeMailbox, id: string) {
  const m = findMessage(mailbox, id);
  if (!m) return notFoundInStore(ctx.res);
  if (mailbox.failing.has(m.immutableId)) {
    return graphError(ctx.res, 500, "ErrorCorruptData", "The item is corrupt and cannot be read.");
  }
  const expand = parseExpand(ctx.url);
  if (badExpand(ctx, expand)) return;
  return json(ctx.res, 200, render(m, caller.immutable, selectOf(ctx.url), false, expand));
}
