import {
  type ListedInboxMessage,
  listInboxPage,
  migrateLegacyBody,
  readOriginalBody,
  readServedBody,
  servedBody,
} from "@/db/message-store";
import { badRequest } from "@/lib/errors";
import type { Services } from "@/lib/services";
import { assertInbox, findInboxMessage } from "./lookup";
import { messageHeaderFields } from "./message-fields";

/**
 * Imported messages of a shared inbox (listSharedInboxMessages, getSharedInboxMessageOriginalBody). A
 * row with `body_store = 'r2'` has its bodies in the message store (read from there, a page's in
 * parallel); a row from before keeps serving its D1 body.
 */

/** The served body of a row: from the message store, or from D1 for a row from before it. */
async function bodyOf(services: Pick<Services, "messageContent">, row: ListedInboxMessage) {
  if (row.bodyStore === "r2") {
    const ref = { orgId: row.orgId, mailbox: row.mailbox, graphId: row.graphId };
    return readServedBody(services.messageContent, ref, row.bodyContentType);
  }
  return servedBody({
    contentType: row.bodyContentType,
    content: row.bodySource,
    sanitized: row.bodyIsSanitized === 1,
    truncated: row.bodyTruncated,
    sanitizedTruncated: row.bodySanitizedTruncated,
  });
}

function toMessageResponse(row: ListedInboxMessage, served: { content: string | null; truncated: boolean }) {
  return {
    ...messageHeaderFields(row),
    body: {
      content_type: row.bodyContentType,
      content: served.content,
      truncated: row.bodyTruncated || served.truncated,
    },
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

/** Newest first (by received time, sent time for sent items), `limit` per page, keyset cursor. */
export async function listSharedInboxMessages(
  services: Pick<Services, "db" | "messageContent">,
  orgId: string,
  inboxId: string,
  options: { limit: number; cursor?: string },
) {
  const { db } = services;
  await assertInbox(db, orgId, inboxId);
  const after = options.cursor ? decodeCursor(options.cursor) : undefined;
  const rows = await listInboxPage(db, orgId, inboxId, options.limit, after);
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  const bodies = await Promise.all(page.map((row) => bodyOf(services, row)));
  return {
    messages: page.map((row, i) => toMessageResponse(row, bodies[i] ?? { content: null, truncated: false })),
    next_cursor: rows.length > options.limit && last ? encodeCursor(last) : null,
  };
}

/**
 * For getSharedInboxMessageOriginalBody: the stored body of one message of the org's inbox, unsanitized
 * (whole, from the message store; a body still in D1 is served from there and moved to the store).
 */
export async function getSharedInboxMessageOriginalBody(
  services: Pick<Services, "db" | "d1" | "messageContent">,
  orgId: string,
  inboxId: string,
  messageId: string,
) {
  const row = await findInboxMessage(services.db, orgId, inboxId, messageId);
  const contentType = row.bodyContentType;
  const truncated = row.bodyTruncated;
  const ref = { orgId, mailbox: row.mailbox, graphId: row.graphId };
  if (row.bodyStore === "r2") {
    const content = await readOriginalBody(services.messageContent, ref, contentType);
    return { content: content ?? "", contentType: contentType ?? "", truncated };
  }
  await migrateLegacyBody(services.d1, services.messageContent, {
    id: messageId,
    ...ref,
    bodyContentType: contentType,
    body: row.body,
    graphModifiedAt: row.graphModifiedAt,
  });
  return { content: row.body ?? "", contentType: contentType ?? "", truncated };
}
