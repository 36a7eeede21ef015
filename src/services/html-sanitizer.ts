import * as xssModule from "xss";

// js-xss is CommonJS: depending on the bundler its members sit on the namespace or on `default`.
const xss = (xssModule as unknown as { default?: typeof xssModule }).default ?? xssModule;
const { FilterXSS, escapeAttrValue, friendlyAttrValue, getDefaultWhiteList, safeAttrValue } = xss;

/**
 * Signature HTML is rendered inside outgoing mail and inside the web app, so it is sanitized on the
 * way in with js-xss (pure JavaScript, runs in Workers): formatting, tables, links and images are
 * kept; script, style, iframe, object and embed are dropped with their content; event-handler
 * attributes and `javascript:`/`vbscript:`/non-image `data:` URLs are removed.
 */
const SIGNATURE_TAGS = [
  "a",
  "abbr",
  "b",
  "blockquote",
  "br",
  "center",
  "code",
  "div",
  "em",
  "font",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "hr",
  "i",
  "img",
  "li",
  "ol",
  "p",
  "pre",
  "s",
  "small",
  "span",
  "strong",
  "sub",
  "sup",
  "table",
  "tbody",
  "td",
  "tfoot",
  "th",
  "thead",
  "tr",
  "u",
  "ul",
  "caption",
  "col",
  "colgroup",
] as const;

const COMMON_ATTRS = ["style", "class", "title", "align", "dir", "lang"];
const EXTRA_ATTRS: Record<string, string[]> = {
  a: ["href", "target", "rel", "name"],
  img: ["src", "alt", "width", "height", "border"],
  font: ["color", "face", "size"],
  table: ["width", "border", "cellpadding", "cellspacing", "bgcolor", "role"],
  td: ["width", "height", "colspan", "rowspan", "valign", "bgcolor", "nowrap"],
  th: ["width", "height", "colspan", "rowspan", "valign", "bgcolor", "scope"],
  tr: ["valign", "bgcolor"],
  col: ["width", "span"],
  colgroup: ["width", "span"],
};

const defaults = getDefaultWhiteList();
const allowList = Object.fromEntries(
  SIGNATURE_TAGS.map((tag) => [
    tag,
    [...new Set([...(defaults[tag] ?? []), ...COMMON_ATTRS, ...(EXTRA_ATTRS[tag] ?? [])])],
  ]),
);

const SAFE_URL = /^(https?:|mailto:|tel:|#|\/)/i;
const SAFE_IMAGE_DATA_URL = /^data:image\/(png|jpe?g|gif|webp);base64,[a-z0-9+/=\s]+$/i;

/**
 * Dropped together with everything inside them. js-xss's own `stripIgnoreTagBody` leaves a literal
 * `[removed]` in the output for an opening tag without a closing one (`<embed>`, an unclosed
 * `<script>`) and keeps the unclosed element's content as text, so the bodies are cut here instead:
 * from the opening tag to the matching closing tag, or to the end when it is never closed (as a
 * browser would treat an unclosed `<script>`). `embed` has no body and is simply stripped.
 */
const BODY_STRIPPED_TAGS = new Set(["script", "style", "iframe", "object", "noscript", "template", "svg", "math"]);

interface StripState {
  /** Ranges of the output to cut, in output order. */
  cuts: Array<[number, number]>;
  /** The outermost body-stripped element currently open, with its nesting depth. */
  open?: { tag: string; at: number; depth: number };
}

/** State of the one running `process` call (processing is synchronous); reset by every call. */
let state: StripState = { cuts: [] };

function onIgnoreTag(tag: string, _html: string, options: { position?: number; isClosing?: boolean }): string {
  const position = options.position ?? 0;
  if (BODY_STRIPPED_TAGS.has(tag)) {
    const open = state.open;
    if (!open) {
      if (!options.isClosing) state.open = { tag, at: position, depth: 1 };
    } else if (tag === open.tag) {
      open.depth += options.isClosing ? -1 : 1;
      if (open.depth === 0) {
        state.cuts.push([open.at, position]);
        state.open = undefined;
      }
    }
  }
  // Every tag outside the allow list is stripped; its text stays unless it is inside a cut.
  return "";
}

const filter = new FilterXSS({
  allowList,
  onIgnoreTag,
  allowCommentTag: false,
  safeAttrValue(tag: string, name: string, value: string, cssFilter: xssModule.ICSSFilter) {
    if (name === "href" || name === "src") {
      // Judge the URL as a browser reads it: entities decoded, control characters and spaces inside
      // the scheme ignored ("java\tscript:", "&#106;avascript:").
      const decoded = friendlyAttrValue(value).trim();
      if (tag === "img" && name === "src" && SAFE_IMAGE_DATA_URL.test(decoded)) return decoded;
      const compact = [...decoded].filter((ch) => ch.charCodeAt(0) > 32).join("");
      const hasScheme = /^[a-z][a-z0-9+.-]*:/i.test(compact);
      // Any other scheme than http(s)/mailto/tel is dropped. Allowed schemes (in any letter case)
      // and scheme-less relative URLs cannot run script, so they are kept, escaped.
      if (hasScheme && !SAFE_URL.test(compact)) return "";
      return escapeAttrValue(decoded);
    }
    return safeAttrValue(tag, name, value, cssFilter);
  },
});

export function sanitizeSignatureHtml(html: string): string {
  const current: StripState = { cuts: [] };
  state = current;
  let out = filter.process(html);
  if (current.open) current.cuts.push([current.open.at, out.length]);
  for (const [from, to] of current.cuts.reverse()) out = out.slice(0, from) + out.slice(to);
  return out;
}
