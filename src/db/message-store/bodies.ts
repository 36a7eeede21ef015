import { storeBodies } from "./content";
import { pointRowAtStoredBody } from "./imported-messages.store";
import { type MessageRef, messagePrefix, originalBodyKey, sanitizedBodyKey } from "./keys";
import { MAIL_SANITIZER_VERSION, sanitizeMailBody } from "./message-bodies";
import { putTextOnce } from "./objects";
import { dropUnclaimedContent } from "./unclaimed";

/**
 * Reading bodies from the message store, and moving the bodies of rows from before it (still in D1) into
 * it. An HTML body is served as its stored sanitized copy while that copy's sanitizer version is current;
 * otherwise the original is sanitized now and the copy replaced. A text body is served as stored.
 */

export interface ServedBody {
  content: string | null;
  truncated: boolean;
}

/** The whole original body, or null when the store has none. */
export async function readOriginalBody(bucket: R2Bucket, ref: MessageRef, contentType: string | null) {
  const object = await bucket.get(originalBodyKey(await messagePrefix(ref), contentType));
  return object ? object.text() : null;
}

/** The body as served for display: sanitized HTML, or text as stored. */
export async function readServedBody(
  bucket: R2Bucket,
  ref: MessageRef,
  contentType: string | null,
): Promise<ServedBody> {
  const prefix = await messagePrefix(ref);
  if (contentType?.toLowerCase() === "text") {
    return { content: await readOriginalBody(bucket, ref, contentType), truncated: false };
  }
  const stored = await bucket.get(sanitizedBodyKey(prefix));
  if (stored && stored.customMetadata?.sanitizer_version === MAIL_SANITIZER_VERSION) {
    return { content: await stored.text(), truncated: stored.customMetadata?.truncated === "1" };
  }
  await stored?.body.cancel();
  const original = await readOriginalBody(bucket, ref, contentType);
  if (original === null) return { content: null, truncated: false };
  const clean = sanitizeMailBody(original);
  await putTextOnce(bucket, {
    key: sanitizedBodyKey(prefix),
    text: clean.html,
    contentType: "text/html; charset=utf-8",
    metadata: { sanitizer_version: MAIL_SANITIZER_VERSION, truncated: clean.truncated ? "1" : "0" },
  });
  return { content: clean.html, truncated: clean.truncated };
}

/** A row whose body is still in D1 (from before the message store). */
export interface LegacyBodyRow {
  id: string;
  orgId: string;
  mailbox: string;
  graphId: string;
  bodyContentType: string | null;
  body: string | null;
  graphModifiedAt: string | null;
}

/**
 * Moves a D1 body into the store: the objects are written first, then the row points at them and drops
 * its D1 copies, only if it still holds the body that was copied (a concurrent import or move wins).
 * Readers see the D1 body until the update and the stored one after it, so nothing is ever missing.
 */
export async function migrateLegacyBody(db: D1Database, bucket: R2Bucket, row: LegacyBodyRow): Promise<boolean> {
  if (row.body === null) return false;
  const prefix = await messagePrefix({ orgId: row.orgId, mailbox: row.mailbox, graphId: row.graphId });
  const size = await storeBodies(bucket, prefix, {
    contentType: row.bodyContentType,
    body: row.body,
    modifiedAt: row.graphModifiedAt,
  });
  if (await pointRowAtStoredBody(db, { orgId: row.orgId, id: row.id, body: row.body }, size)) return true;
  // The row changed meanwhile (its writer owns the keys now) or is gone: purged with its mailbox, whose
  // objects were deleted possibly before these were written.
  await dropUnclaimedContent({ d1: db, messageContent: bucket }, row.orgId, row.mailbox, [row.graphId]);
  return false;
}
