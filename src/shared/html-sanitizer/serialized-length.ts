/**
 * What markup takes once parse5's serializer writes it (it escapes `&`, `<`, `>` and U+00A0 in text, and
 * `&`, `"` and U+00A0 in attribute values): the sanitizer bounds its output with these before writing it.
 */

/** Characters one UTF-16 unit takes once escaped, in text or in an attribute value. */
function escapedUnitLength(code: number, inAttribute: boolean): number {
  if (code === 0x26) return 5; // &amp;
  if (code === 0xa0) return 6; // &nbsp;
  if (inAttribute) return code === 0x22 ? 6 : 1; // &quot;
  return code === 0x3c || code === 0x3e ? 4 : 1; // &lt; &gt;
}

/** Characters `value` takes once escaped. */
export function escapedLength(value: string, inAttribute = false): number {
  let length = 0;
  for (let i = 0; i < value.length; i++) length += escapedUnitLength(value.charCodeAt(i), inAttribute);
  return length;
}

/** Cuts at `max` UTF-16 units without splitting a surrogate pair. */
export function cutAt(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** The longest start of `text` that takes at most `room` characters once escaped as text (whole surrogate pairs). */
export function textWithin(text: string, room: number): string {
  let used = 0;
  let end = 0;
  while (end < text.length) {
    used += escapedUnitLength(text.charCodeAt(end), false);
    if (used > room) break;
    end++;
  }
  return end > 0 ? cutAt(text, end) : "";
}
