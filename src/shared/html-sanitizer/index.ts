/**
 * HTML sanitizing for signatures and imported mail (see core.ts for how, policies.ts for what is kept).
 */
import { type SanitizeResult, sanitizeHtml } from "./core";
import { MAIL_MAX_CHARS, MAIL_POLICY, SIGNATURE_MAX_CHARS, SIGNATURE_POLICY } from "./policies";

export type { SanitizeResult } from "./core";
export { sanitizerVersion } from "./version";
export { MAIL_MAX_CHARS, SIGNATURE_MAX_CHARS };

/**
 * Signature HTML, stored sanitized: formatting, tables, links (http, https, mailto, tel, relative,
 * fragment), images (http, https, relative, base64 PNG/JPEG/GIF/WebP) and safe inline styles are kept.
 * Callers bound the input to SIGNATURE_MAX_CHARS first (longer input is cut there).
 */
export function sanitizeSignatureHtml(input: string): string {
  return sanitizeHtml(input, SIGNATURE_POLICY).html;
}

/**
 * Imported mail HTML, sanitized whenever it is served: tables, inline styles, fonts, colors, images
 * (http, https, cid, base64 data) are kept; links get `target="_blank" rel="noopener noreferrer"`.
 * Input past MAIL_MAX_CHARS is cut (`truncated`).
 */
export function sanitizeMailHtml(input: string): SanitizeResult {
  return sanitizeHtml(input, MAIL_POLICY);
}
