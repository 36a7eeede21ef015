/**
 * Inline `style` attributes: kept declaration by declaration, judged on the text after CSS comments
 * and escapes are resolved (`\65 xpression`, `java\script:`, `/**\/` in the middle of a word), and
 * emitted as that resolved text. What is emitted holds no backslash, comment, brace, `@` or angle
 * bracket, so a browser reads exactly what was judged. Linear in the input; bounded by `maxChars`.
 */
import { browserUrl, urlScheme } from "./url";

export interface StyleRule {
  /** Allowed property names (lowercase). */
  properties: ReadonlySet<string>;
  /** Schemes allowed inside `url(...)` (lowercase, without the colon); relative URLs never are. */
  urlSchemes: ReadonlySet<string>;
  /** Longer style attributes are dropped whole. */
  maxChars: number;
}

/** Functions a value may call; anything else (expression(), image-set(), var()...) drops the declaration. */
const FUNCTIONS = new Set([
  "rgb",
  "rgba",
  "hsl",
  "hsla",
  "calc",
  "url",
  "linear-gradient",
  "radial-gradient",
  "repeating-linear-gradient",
  "repeating-radial-gradient",
]);

/** Words that never appear in a kept value, whatever the property (old IE and Firefox script hooks). */
const FORBIDDEN_WORDS = ["expression", "javascript", "vbscript", "behavior", "-moz-binding"];

const isHex = (code: number) =>
  (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
const isNewline = (code: number) => code === 0x0a || code === 0x0d || code === 0x0c;
const isCssSpace = (code: number) => code === 0x20 || code === 0x09 || isNewline(code);

/** Resolves comments and escapes as the CSS tokenizer does (one pass, no backtracking). */
export function decodeCss(input: string): string {
  let out = "";
  let i = 0;
  while (i < input.length) {
    const code = input.charCodeAt(i);
    if (code === 0x2f && input.charCodeAt(i + 1) === 0x2a) {
      const end = input.indexOf("*/", i + 2);
      i = end === -1 ? input.length : end + 2;
      continue;
    }
    if (code !== 0x5c) {
      out += input[i];
      i++;
      continue;
    }
    i++;
    if (i >= input.length) break; // a lone backslash at the end is nothing
    const next = input.charCodeAt(i);
    if (isNewline(next)) {
      i++; // an escaped newline (a line continuation) is nothing
      continue;
    }
    if (!isHex(next)) {
      const point = input.codePointAt(i) ?? 0xfffd;
      out += String.fromCodePoint(point);
      i += point > 0xffff ? 2 : 1;
      continue;
    }
    let hex = "";
    while (i < input.length && hex.length < 6 && isHex(input.charCodeAt(i))) hex += input[i++];
    if (i < input.length && isCssSpace(input.charCodeAt(i))) i++;
    const point = Number.parseInt(hex, 16);
    const valid = point !== 0 && point <= 0x10ffff && !(point >= 0xd800 && point <= 0xdfff);
    out += String.fromCodePoint(valid ? point : 0xfffd);
  }
  return out;
}

/** Splits at `;` outside strings and parentheses; an unterminated string ends the list. */
function splitDeclarations(css: string): string[] {
  const parts: string[] = [];
  let quote = 0;
  let depth = 0;
  let start = 0;
  for (let i = 0; i < css.length; i++) {
    const code = css.charCodeAt(i);
    if (quote) {
      if (code === quote) quote = 0;
      else if (isNewline(code)) return parts; // a newline ends a string as a bad string: drop the rest
    } else if (code === 0x22 || code === 0x27) quote = code;
    else if (code === 0x28) depth++;
    else if (code === 0x29) depth = Math.max(0, depth - 1);
    else if (code === 0x3b && depth === 0) {
      parts.push(css.slice(start, i));
      start = i + 1;
    }
  }
  if (!quote) parts.push(css.slice(start));
  return parts;
}

const PROPERTY = /^-?[a-z][a-z-]*$/;
/** Characters a kept value never holds: controls, backslash, braces, angle brackets, `@`, backtick, `;`. */
function hasBadValueChar(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || "\\{}<>@`;".includes(value[i] as string)) return true;
  }
  return false;
}

const isIdentChar = (code: number) => (code >= 0x61 && code <= 0x7a) || code === 0x2d;

/** Every function a (lowercased) value calls is an allowed one: each `(` is preceded by an allowed name. */
function callsAllowedFunctions(lower: string): boolean {
  for (let open = lower.indexOf("("); open !== -1; open = lower.indexOf("(", open + 1)) {
    let start = open;
    while (start > 0 && isIdentChar(lower.charCodeAt(start - 1))) start--;
    if (!FUNCTIONS.has(lower.slice(start, open))) return false;
  }
  return true;
}

/** The `url(...)` arguments of a value, or null when one is malformed. */
function urlArguments(value: string): string[] | null {
  const urls: string[] = [];
  const lower = value.toLowerCase();
  for (let at = lower.indexOf("url("); at !== -1; at = lower.indexOf("url(", at + 4)) {
    const close = value.indexOf(")", at + 4);
    if (close === -1) return null;
    let arg = value.slice(at + 4, close).trim();
    const first = arg.charCodeAt(0);
    if ((first === 0x22 || first === 0x27) && arg.length >= 2 && arg.charCodeAt(arg.length - 1) === first) {
      arg = arg.slice(1, -1);
    }
    // An unquoted URL holds no quote, parenthesis or space; a quoted one no quote of its kind.
    if (/["'()\s]/.test(arg)) return null;
    urls.push(arg);
  }
  return urls;
}

/** Parentheses balanced, at most 8 deep, and quotes closed. */
function wellFormed(value: string): boolean {
  let depth = 0;
  let quote = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (quote) {
      if (code === quote) quote = 0;
    } else if (code === 0x22 || code === 0x27) quote = code;
    else if (code === 0x28 && ++depth > 8) return false;
    else if (code === 0x29 && --depth < 0) return false;
  }
  return depth === 0 && quote === 0;
}

function checkValue(raw: string, rule: StyleRule): string | null {
  const value = raw.replace(/[\t\n\r\f ]+/g, " ").trim();
  if (!value || value.length > 2048 || hasBadValueChar(value) || !wellFormed(value)) return null;
  const lower = value.toLowerCase();
  if (lower.includes("/*") || lower.includes("*/")) return null;
  if (FORBIDDEN_WORDS.some((word) => lower.includes(word))) return null;
  if (!callsAllowedFunctions(lower)) return null;
  const urls = urlArguments(value);
  if (!urls) return null;
  for (const url of urls) {
    const normalized = browserUrl(url);
    const scheme = urlScheme(normalized);
    if (normalized !== url || !scheme || !rule.urlSchemes.has(scheme)) return null;
  }
  return value;
}

/** The style attribute to emit (`prop:value;prop:value`), or null when nothing of it is kept. */
export function sanitizeStyle(input: string, rule: StyleRule): string | null {
  if (input.length > rule.maxChars) return null;
  const kept: string[] = [];
  for (const declaration of splitDeclarations(decodeCss(input))) {
    const colon = declaration.indexOf(":");
    if (colon === -1) continue;
    const property = declaration.slice(0, colon).trim().toLowerCase();
    if (!PROPERTY.test(property) || !rule.properties.has(property)) continue;
    const value = checkValue(declaration.slice(colon + 1), rule);
    if (value !== null) kept.push(`${property}:${value}`);
  }
  return kept.length > 0 ? kept.join(";") : null;
}
