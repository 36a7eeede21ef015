import type { SearchFilters } from "@/db/mailbox-object";
import { migrateLegacyBody, readOriginalBody } from "@/db/message-store";
import { badRequest } from "@/lib/errors";
import type { Services } from "@/lib/services";
import { parseSearchQuery } from "@/shared/search-query";
import { findInboxMessage, type InboxMessage, type InboxSearch, listInboxMessages } from "./inbox-messages";
import { messageHeaderFields } from "./message-fields";

/**
 * Imported messages of a shared inbox (listSharedInboxMessages, getSharedInboxMessageOriginalBody). The
 * listing answers from the message indexes alone (each mailbox's object, D1 for mail not moved yet): headers
 * and the preview, no body (`body.content` is null; getSharedInboxMessage serves it), so a page costs no
 * read of the message store whatever its size.
 */

function toListedMessage(row: InboxMessage) {
  return {
    ...messageHeaderFields(row),
    body: { content_type: row.bodyContentType, content: null, truncated: row.bodyTruncated },
    shared_inbox_id: row.sharedInboxId,
    bucket_id: row.bucketId,
    imported_at: row.importedAt,
  };
}

function encodeCursor(row: { sortAt: string; id: string }) {
  return btoa(JSON.stringify([row.sortAt, row.id]))
    .replace(/(?<!=)=+$/, "")
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const json = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    const value = JSON.parse(json) as unknown;
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === "string")) {
      return value as [string, string];
    }
  } catch {
    // reported below
  }
  throw badRequest("cursor: not a cursor this API returned");
}

export interface ListOptions {
  limit: number;
  cursor?: string;
  q?: string;
  folder?: "inbox" | "sentitems";
  from?: string;
  received_after?: string;
  received_before?: string;
  has_attachments?: boolean;
}

/**
 * A time as stored times compare with it as text (ISO in UTC, `YYYY-MM-DDTHH:MM:SS.sssZ`). A time past year 9999
 * (the offset may carry 9999-12-31 over) is written `+010000-…`, which would sort first: it becomes a text after
 * every stored time instead.
 */
function comparableTime(value: string): string {
  const iso = new Date(value).toISOString();
  return iso.startsWith("+") ? "9999-99" : iso;
}

/** The search the options ask for (words and filters), or undefined for the plain listing; 400 for unusable words. */
function searchOf(options: ListOptions): InboxSearch | undefined {
  const filters: SearchFilters = {
    ...(options.folder && { folder: options.folder }),
    ...(options.from && { from: options.from }),
    ...(options.received_after && { receivedAfter: comparableTime(options.received_after) }),
    ...(options.received_before && { receivedBefore: comparableTime(options.received_before) }),
    ...(options.has_attachments !== undefined && { hasAttachments: options.has_attachments }),
  };
  if (options.q === undefined && Object.keys(filters).length === 0) return undefined;
  if (options.q === undefined) return { match: null, filters };
  const parsed = parseSearchQuery(options.q);
  if (!parsed.ok) throw badRequest(parsed.error);
  return { match: parsed.match, filters };
}

/**
 * Newest first (by received time, sent time for sent items), `limit` per page, keyset cursor; with `q` and the
 * filters, only the mail they find, in the same order and with the same cursor contract.
 */
export async function listSharedInboxMessages(
  services: Pick<Services, "db" | "mailboxObjects">,
  orgId: string,
  inboxId: string,
  options: ListOptions,
) {
  const after = options.cursor ? decodeCursor(options.cursor) : undefined;
  const { rows, more } = await listInboxMessages(services, orgId, inboxId, options.limit, after, searchOf(options));
  const last = rows.at(-1);
  return {
    messages: rows.map(toListedMessage),
    next_cursor: more && last ? encodeCursor(last) : null,
  };
}

/**
 * For getSharedInboxMessageOriginalBody: the stored body of one message of the org's inbox, unsanitized
 * (whole, from the message store; a body still in D1 is served from there and moved to the store).
 */
export async function getSharedInboxMessageOriginalBody(
  services: Pick<Services, "db" | "d1" | "messageContent" | "mailboxObjects">,
  orgId: string,
  inboxId: string,
  messageId: string,
) {
  const row = await findInboxMessage(services, orgId, inboxId, messageId);
  const contentType = row.bodyContentType;
  const truncated = row.bodyTruncated;
  const ref = { orgId, mailbox: row.mailbox, graphId: row.graphId };
  if (row.home.store === "object" || row.home.legacyBody === null) {
    const content = await readOriginalBody(services.messageContent, ref, contentType);
    return { content: content ?? "", contentType: contentType ?? "", truncated };
  }
  const body = row.home.legacyBody;
  await migrateLegacyBody(services.d1, services.messageContent, {
    id: messageId,
    ...ref,
    bodyContentType: contentType,
    body,
    graphModifiedAt: row.graphModifiedAt,
  });
  return { content: body, contentType: contentType ?? "", truncated };
}
