import * as xssModule from "xss";

// js-xss is CommonJS: depending on the bundler its members sit on the namespace or on `default`.
const xss = (xssModule as unknown as { default?: typeof xssModule }).default ?? xssModule;
const { FilterXSS, getDefaultWhiteList, safeAttrValue } = xss;

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

const filter = new FilterXSS({
  allowList,
  stripIgnoreTag: true,
  stripIgnoreTagBody: ["script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"],
  allowCommentTag: false,
  safeAttrValue(tag: string, name: string, value: string, cssFilter: xssModule.ICSSFilter) {
    if (name === "href" || name === "src") {
      const trimmed = value.trim();
      if (tag === "img" && name === "src" && SAFE_IMAGE_DATA_URL.test(trimmed)) return trimmed;
      // Relative URLs (no scheme) are kept; any other scheme than http(s)/mailto/tel is dropped.
      // Browsers ignore whitespace and control characters inside a scheme ("java\tscript:").
      const compact = [...trimmed].filter((ch) => ch.charCodeAt(0) > 32).join("");
      const hasScheme = /^[a-z][a-z0-9+.-]*:/i.test(compact);
      if (hasScheme && !SAFE_URL.test(compact)) return "";
    }
    return safeAttrValue(tag, name, value, cssFilter);
  },
});

export function sanitizeSignatureHtml(html: string): string {
  return filter.process(html);
}
