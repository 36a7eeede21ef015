/**
 * `Content-Disposition: attachment` with a filename no browser or proxy can misread (RFC 6266, RFC 8187 /
 * 5987): an ASCII fallback (`filename="..."`, quotes, backslashes, controls and non-ASCII replaced by `_`)
 * and the exact name as UTF-8 percent-encoding (`filename*=UTF-8''...`). Path separators never survive.
 */

const MAX_NAME_CHARS = 200;

/** C0 and C1 controls, DEL, and both path separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters (to replace them) is the point
const UNSAFE = /[\x00-\x1f\x7f-\x9f/\\]/g;

function cleanName(name: string): string {
  const cleaned = name
    .normalize("NFC")
    .replace(UNSAFE, "_")
    .replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "")
    .trim()
    .replace(/^\.+/, "_");
  return [...cleaned].slice(0, MAX_NAME_CHARS).join("") || "attachment";
}

const encodeRfc5987 = (value: string) =>
  encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function attachmentDisposition(name: string): string {
  const clean = cleanName(name);
  const ascii = clean.replace(/[^\x20-\x7e]/g, "_").replace(/["\\%;]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(clean)}`;
}
