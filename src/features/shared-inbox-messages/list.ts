import { and, desc, eq, getTableColumns, isNull, lt, or, sql } from "drizzle-orm";
import { type Database, getDb } from "@/db/client";
import {
  MAIL_SANITIZER_VERSION,
  migrateLegacyBody,
  readOriginalBody,
  readServedBody,
  servedBody,
} from "@/db/message-store";
import { importedMessages } from "@/db/schema";
import { badRequest } from "@/lib/errors";
import type { AppEnv } from "@/lib/types";
import { assertInbox, findInboxMessage } from "./lookup";
import { messageHeaderFields } from "./message-fields";

/**
 * Imported messages of a shared inbox (listSharedInboxMessages, getSharedInboxMessageOriginalBody). A
 * row with `body_store = 'r2'` has its bodies in the message store (read from there, a page's in
 * parallel); a row from before keeps serving its D1 body.
 */

const { body, bodySanitized, bodySanitizedTruncated, bodySanitizerVersion, bodySize, ...listedColumns } =
  getTableColumns(importedMessages);

/** The stored sanitized body is what is served when its version is current. */
const storedIsCurrent = sql`(${bodySanitizerVersion} = ${MAIL_SANITIZER_VERSION} AND ${bodySanitized} IS NOT NULL)`;

/**
 * The columns a listing reads: every column but the bodies, and one body: the stored sanitized one
 * when it is current, else the original (sanitized when served). So a page reads each body once.
 */
const listingColumns = {
  ...listedColumns,
  bodySource: sql<string | null>`CASE WHEN ${storedIsCurrent} THEN ${bodySanitized} ELSE ${body} END`,
  bodyIsSanitized: sql<number>`CASE WHEN ${storedIsCurrent} THEN 1 ELSE 0 END`,
  bodySanitizedTruncated,
};

/** One page (and one more row, to tell whether a next page exists), newest first. */
function fetchPage(db: Database, orgId: string, inboxId: string, limit: number, after?: [string, string]) {
  return db
    .select(listingColumns)
    .from(importedMessages)
    .where(
      and(
        eq(importedMessages.orgId, orgId),
        eq(importedMessages.sharedInboxId, inboxId),
        // A message live sync saw leave Inbox / Sent Items is a tombstone: not listed.
        isNull(importedMessages.deletedAt),
        after
          ? or(
              lt(importedMessages.sortAt, after[0]),
              and(eq(importedMessages.sortAt, after[0]), lt(importedMessages.id, after[1])),
            )
          : undefined,
      ),
    )
    .orderBy(desc(importedMessages.sortAt), desc(importedMessages.id))
    .limit(limit + 1)
    .all();
}

type ListedMessage = Awaited<ReturnType<typeof fetchPage>>[number];

/** The served body of a row: from the message store, or from D1 for a row from before it. */
async function bodyOf(env: AppEnv, row: ListedMessage) {
  if (row.bodyStore === "r2") {
    const ref = { orgId: row.orgId, mailbox: row.mailbox, graphId: row.graphId };
    return readServedBody(env.MESSAGE_STORE, ref, row.bodyContentType);
  }
  return servedBody({
    contentType: row.bodyContentType,
    content: row.bodySource,
    sanitized: row.bodyIsSanitized === 1,
    truncated: row.bodyTruncated,
    sanitizedTruncated: row.bodySanitizedTruncated,
  });
}

function toMessageResponse(row: ListedMessage, served: { content: string | null; truncated: boolean }) {
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
  env: AppEnv,
  orgId: string,
  inboxId: string,
  options: { limit: number; cursor?: string },
) {
  const db = getDb(env.DB);
  await assertInbox(db, orgId, inboxId);
  const after = options.cursor ? decodeCursor(options.cursor) : undefined;
  const rows = await fetchPage(db, orgId, inboxId, options.limit, after);
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  const bodies = await Promise.all(page.map((row) => bodyOf(env, row)));
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
  env: AppEnv,
  orgId: string,
  inboxId: string,
  messageId: string,
) {
  const row = await findInboxMessage(getDb(env.DB), orgId, inboxId, messageId);
  const contentType = row.bodyContentType;
  const truncated = row.bodyTruncated;
  const ref = { orgId, mailbox: row.mailbox, graphId: row.graphId };
  if (row.bodyStore === "r2") {
    const content = await readOriginalBody(env.MESSAGE_STORE, ref, contentType);
    return { content: content ?? "", contentType: contentType ?? "", truncated };
  }
  await migrateLegacyBody(env.DB, env.MESSAGE_STORE, {
    id: messageId,
    ...ref,
    bodyContentType: contentType,
    body: row.body,
    graphModifiedAt: row.graphModifiedAt,
  });
  return { content: row.body ?? "", contentType: contentType ?? "", truncated };
}
