/**
 * A shared inbox search (`q`) as data for SQLite FTS5, never as its syntax: the words a user typed become
 * quoted FTS5 strings (every word must match, as a word prefix from 3 characters: `abschlag` finds
 * "Abschlagszahlung"; a shorter word as a whole word), a quoted
 * phrase becomes one quoted string without prefix. Whatever the input holds (FTS5 operators, column filters,
 * quotes, brackets, NUL), the FTS5 query built from it contains only double-quoted runs of letters and digits
 * joined by AND, so it can never be read as syntax. Text is folded the way the index folds it: case and
 * diacritics by FTS5's unicode61 tokenizer (`remove_diacritics 2`), and ß/ẞ as "ss" here and at indexing
 * (`foldForSearch`), since unicode61 keeps ß as it is.
 */

/** Longest `q` accepted (characters). */
export const MAX_QUERY_CHARS = 500;
/** Most words and phrases a search combines. */
const MAX_QUERY_TERMS = 16;

/** Characters a word needs to match as a word prefix; shorter words match whole words only. */
const MIN_PREFIX_CHARS = 3;

/** What the index and the query both fold beyond unicode61: ß and ẞ to "ss"; NUL and control characters to spaces. */
export function foldForSearch(text: string): string {
  return text.replace(/[ßẞ]/g, "ss").replace(/[\p{Cc}\p{Cf}]/gu, " ");
}

/**
 * Letters and digits (with the marks that combine with them): what unicode61 keeps of a word; everything else
 * separates tokens, and a mark with no letter before it is dropped, as the index drops it.
 */
const TOKEN = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;

export type ParsedQuery = { ok: true; match: string; terms: number } | { ok: false; error: string };

/** Parses `q` into an FTS5 MATCH expression (see the module comment), or says what is wrong with it. */
export function parseSearchQuery(q: string): ParsedQuery {
  if (q.length > MAX_QUERY_CHARS) return { ok: false, error: `q: at most ${MAX_QUERY_CHARS} characters` };
  const folded = foldForSearch(q);
  const terms: string[] = [];
  // Quoted phrases first ("..." or an unclosed quote running to the end), then the words between them.
  const parts = folded.split('"');
  parts.forEach((part, i) => {
    const quoted = i % 2 === 1;
    if (quoted) {
      const tokens = part.match(TOKEN);
      if (tokens) terms.push(`"${tokens.join(" ")}"`);
      return;
    }
    for (const word of part.split(/\s+/)) {
      const tokens = word.match(TOKEN);
      // A word of several tokens (an address, "e-mail") matches them adjacent, the last as a prefix. A last token
      // shorter than MIN_PREFIX_CHARS matches as a whole word: as a prefix it would make FTS5 merge the matches of
      // every word with that start (a few letters can cost seconds in a big mailbox).
      const last = tokens?.at(-1);
      if (tokens && last) terms.push(`"${tokens.join(" ")}"${[...last].length >= MIN_PREFIX_CHARS ? "*" : ""}`);
    }
  });
  if (terms.length === 0) return { ok: false, error: "q: nothing to search for (give at least one letter or digit)" };
  if (terms.length > MAX_QUERY_TERMS) {
    return { ok: false, error: `q: at most ${MAX_QUERY_TERMS} words or quoted phrases` };
  }
  return { ok: true, match: terms.join(" AND "), terms: terms.length };
}
