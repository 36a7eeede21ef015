import { plainText } from "./html-sanitizer/text-fallback";
import { foldForSearch } from "./search-query";

/**
 * What a search indexes of a message's body: its text (HTML reduced to what a reader sees, never markup, scripts
 * or styles), folded as the query is (ß to ss), bounded, so a huge body costs a bounded index entry and a bounded
 * amount of parser work.
 */

/** Characters of a body's text indexed per message (about 10 pages of mail; beyond it, mail rarely matters). */
export const SEARCH_BODY_MAX_CHARS = 32_000;
/** Characters of a body read to find that text: past this, markup is not parsed at all. */
const SEARCH_BODY_MAX_INPUT = 512 * 1024;

export function searchableBody(body: string | null, contentType: string | null): string {
  if (!body) return "";
  const input = body.length > SEARCH_BODY_MAX_INPUT ? body.slice(0, SEARCH_BODY_MAX_INPUT) : body;
  const text =
    contentType?.toLowerCase() === "text"
      ? input.slice(0, SEARCH_BODY_MAX_CHARS)
      : plainText(input, SEARCH_BODY_MAX_CHARS);
  return foldForSearch(text);
}
