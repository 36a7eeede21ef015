/**
 * URL attribute values judged as a browser reads them. The value comes from parse5, so character
 * references are already decoded exactly as the HTML tokenizer decodes them (`&Tab;`, `&#x6A;`,
 * `&colon;`, entities without a semicolon...). What is left is what the WHATWG URL parser does
 * before it looks for a scheme: leading and trailing C0 controls and spaces are stripped, and ASCII
 * tab, LF and CR are removed wherever they are.
 */

/** The URL as the WHATWG URL parser sees it before parsing (linear; no regular expression). */
export function browserUrl(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) <= 0x20) start++;
  while (end > start && value.charCodeAt(end - 1) <= 0x20) end--;
  let out = "";
  let run = start;
  for (let i = start; i < end; i++) {
    const code = value.charCodeAt(i);
    if (code === 0x09 || code === 0x0a || code === 0x0d) {
      out += value.slice(run, i);
      run = i + 1;
    }
  }
  return out + value.slice(run, end);
}

const isAlpha = (code: number) => (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
const isSchemeChar = (code: number) =>
  isAlpha(code) || (code >= 0x30 && code <= 0x39) || code === 0x2b || code === 0x2d || code === 0x2e;

/**
 * The lowercased scheme of a normalized URL, `""` for a relative URL (no colon before the first `/`,
 * `?` or `#`), or `null` when a colon comes first but what precedes it is not a valid scheme: a
 * browser would read that as a relative path, but nothing legitimate looks like it, so it is refused.
 */
export function urlScheme(url: string): string | null {
  for (let i = 0; i < url.length; i++) {
    const code = url.charCodeAt(i);
    if (code === 0x3a) {
      if (i === 0 || !isAlpha(url.charCodeAt(0))) return null;
      for (let j = 1; j < i; j++) if (!isSchemeChar(url.charCodeAt(j))) return null;
      return url.slice(0, i).toLowerCase();
    }
    if (code === 0x2f || code === 0x3f || code === 0x23 || code === 0x5c) return "";
  }
  return "";
}

export interface UrlRule {
  /** Allowed schemes, lowercase, without the colon. */
  schemes: ReadonlySet<string>;
  /** Relative URLs (`team/page.html`, `/x`, `?q=1`, `//host/x`) resolve against the page: allowed or not. */
  relative: boolean;
  /** Fragment-only URLs (`#top`). */
  fragment: boolean;
  /** `data:image/(png|jpeg|gif|webp);base64,...` (for `img src`). */
  dataImage: boolean;
}

// Linear: one character class, no nested quantifiers.
const DATA_IMAGE = /^data:image\/(?:png|jpe?g|gif|webp);base64,[a-z0-9+/=\s]*$/i;

/** The URL to emit (normalized as the browser reads it), or null when the rule does not allow it. */
export function checkUrl(value: string, rule: UrlRule): string | null {
  const url = browserUrl(value);
  const scheme = urlScheme(url);
  if (scheme === null) return null;
  if (scheme === "") {
    if (url.startsWith("#")) return rule.fragment || rule.relative ? url : null;
    return rule.relative ? url : null;
  }
  if (scheme === "data") return rule.dataImage && DATA_IMAGE.test(url) ? url : null;
  return rule.schemes.has(scheme) ? url : null;
}
