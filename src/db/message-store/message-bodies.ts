import { sanitizeMailHtml, sanitizerVersion } from "@/shared/html-sanitizer";
import { MAIL_POLICY } from "@/shared/html-sanitizer/policies";

/**
 * Imported mail bodies: an HTML body (mail from any outside sender) is sanitized once, when it is
 * imported, and stored next to the original with the version of the sanitizer policy that produced it.
 * listSharedInboxMessages serves the stored sanitized body while its version is current, and sanitizes
 * on read only rows without one (imported before bodies were stored sanitized, or under an older
 * policy). A text body is served as stored. The original is served only by
 * getSharedInboxMessageOriginalBody.
 */

/** Bump when the mail policy's checks change in a way its fingerprint cannot see (see version.ts). */
const MAIL_SANITIZER_REVISION = 1;

/** The version stored with a sanitized body; a stored body of another version is sanitized again on read. */
export const MAIL_SANITIZER_VERSION = sanitizerVersion("mail", MAIL_POLICY, MAIL_SANITIZER_REVISION);

/**
 * Mail HTML sanitized for display, with `truncated` when the reader does not get the whole formatted body:
 * it was cut at a bound, or its markup cost more than the parse budget and only its text is kept (the
 * original stays available as original-body).
 */
export function sanitizeMailBody(html: string): { html: string; truncated: boolean } {
  const clean = sanitizeMailHtml(html);
  return { html: clean.html, truncated: clean.truncated || clean.simplified };
}

/** A body is served as it is stored when it is text (or absent); any other content type is HTML. */
export const isHtmlBody = (contentType: string | null, body: string | null): body is string =>
  body !== null && contentType?.toLowerCase() !== "text";

/** The stored sanitized body of an imported message (the columns the import writes). */
export interface StoredSanitizedBody {
  body_sanitized: string | null;
  body_sanitized_truncated: 0 | 1;
  body_sanitizer_version: string | null;
}

/** Sanitizes an HTML body for storage; a text (or absent) body stores nothing. */
export function sanitizeForStorage(contentType: string | null, body: string | null): StoredSanitizedBody {
  if (!isHtmlBody(contentType, body)) {
    return { body_sanitized: null, body_sanitized_truncated: 0, body_sanitizer_version: null };
  }
  const clean = sanitizeMailBody(body);
  return {
    body_sanitized: clean.html,
    body_sanitized_truncated: clean.truncated ? 1 : 0,
    body_sanitizer_version: MAIL_SANITIZER_VERSION,
  };
}

/** What a listing reads of a message's body (see `servedBodyColumns` in messages.ts). */
export interface BodySource {
  contentType: string | null;
  /** The stored sanitized body when `sanitized`, else the original. */
  content: string | null;
  sanitized: boolean;
  /** The original was cut at import (MAILBOX_BODY_MAX_CHARS). */
  truncated: boolean;
  /** The stored sanitized body was cut by the sanitizer. */
  sanitizedTruncated: boolean;
}

/** The body as listSharedInboxMessages serves it: sanitized HTML (stored, or sanitized now), or text as stored. */
export function servedBody(source: BodySource): { content: string | null; truncated: boolean } {
  if (source.sanitized) return { content: source.content, truncated: source.truncated || source.sanitizedTruncated };
  if (!isHtmlBody(source.contentType, source.content)) return { content: source.content, truncated: source.truncated };
  const clean = sanitizeMailBody(source.content);
  return { content: clean.html, truncated: source.truncated || clean.truncated };
}
