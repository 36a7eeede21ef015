/**
 * The two policies on the sanitizer core: signatures (written by the org's users, stored sanitized)
 * and imported mail (written by any outside sender, sanitized whenever it is served).
 */
import type { AttributeCheck, SanitizePolicy } from "./core";
import { type StyleRule, sanitizeStyle } from "./css";
import { checkUrl, type UrlRule } from "./url";

/**
 * Removed with everything inside them: elements that run script or load active content, raw-text
 * elements (whose text a later parser reads differently), foreign content, forms and form controls,
 * document metadata (`<base>` retargets every relative URL, `<meta http-equiv=refresh>` navigates).
 */
export const DROP_WITH_CONTENT: ReadonlySet<string> = new Set([
  "script",
  "style",
  "template",
  "svg",
  "math",
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "applet",
  "param",
  "noscript",
  "noembed",
  "noframes",
  "xmp",
  "plaintext",
  "textarea",
  "title",
  "form",
  "input",
  "button",
  "select",
  "option",
  "optgroup",
  "datalist",
  "keygen",
  "base",
  "meta",
  "link",
  "head",
  "audio",
  "video",
  "source",
  "track",
  "canvas",
  "portal",
  "fencedframe",
  "marquee",
  "dialog",
  "slot",
]);

const text: AttributeCheck = (value) => value;
const oneOf =
  (...allowed: string[]): AttributeCheck =>
  (value) => {
    const v = value.trim().toLowerCase();
    return allowed.includes(v) ? v : null;
  };
const url =
  (rule: UrlRule): AttributeCheck =>
  (value) =>
    checkUrl(value, rule);
const style =
  (rule: StyleRule): AttributeCheck =>
  (value) =>
    sanitizeStyle(value, rule);

/** CSS properties kept in inline styles (layout of text, boxes and tables; no positioning, no transforms). */
const CSS_PROPERTIES = new Set([
  ..."background background-color background-image background-position background-repeat background-size".split(" "),
  ..."border border-collapse border-color border-radius border-spacing border-style border-width".split(" "),
  ...["top", "right", "bottom", "left"].flatMap((side) =>
    ["", "-color", "-style", "-width"].map((part) => `border-${side}${part}`),
  ),
  ..."border-top-left-radius border-top-right-radius border-bottom-left-radius border-bottom-right-radius".split(" "),
  ..."color direction display float clear height max-height max-width min-height min-width width".split(" "),
  ..."font font-family font-size font-style font-variant font-weight letter-spacing line-height".split(" "),
  ..."list-style list-style-position list-style-type list-style-image".split(" "),
  ..."margin margin-top margin-right margin-bottom margin-left".split(" "),
  ..."padding padding-top padding-right padding-bottom padding-left".split(" "),
  ..."text-align text-decoration text-indent text-transform vertical-align white-space".split(" "),
  ..."word-break word-spacing word-wrap overflow-wrap table-layout caption-side empty-cells box-sizing".split(" "),
  ..."opacity overflow text-overflow".split(" "),
]);

// ---------------------------------------------------------------------------------------------------
// Signatures

const SIGNATURE_LINK: UrlRule = {
  schemes: new Set(["http", "https", "mailto", "tel"]),
  relative: true,
  fragment: true,
  dataImage: false,
};
const SIGNATURE_IMAGE: UrlRule = {
  schemes: new Set(["http", "https"]),
  relative: true,
  fragment: false,
  dataImage: true,
};
const SIGNATURE_STYLE: StyleRule = {
  properties: CSS_PROPERTIES,
  urlSchemes: new Set(["http", "https"]),
  maxChars: 8192,
};

const SIGNATURE_COMMON: Record<string, AttributeCheck> = {
  style: style(SIGNATURE_STYLE),
  class: text,
  title: text,
  align: text,
  valign: text,
  dir: text,
  lang: text,
};
const cells = { width: text, height: text, colspan: text, rowspan: text, bgcolor: text, nowrap: text };

const SIGNATURE_ELEMENTS: Record<string, Record<string, AttributeCheck>> = {
  ...Object.fromEntries(
    [
      "abbr b br center code div em h1 h2 h3 h4 h5 h6 hr i li ol p pre s small span strong sub sup",
      "tbody tfoot thead u ul caption",
    ]
      .join(" ")
      .split(" ")
      .map((tag) => [tag, SIGNATURE_COMMON]),
  ),
  a: {
    ...SIGNATURE_COMMON,
    href: url(SIGNATURE_LINK),
    target: oneOf("_blank", "_self"),
    rel: text,
    name: text,
  },
  blockquote: { ...SIGNATURE_COMMON, cite: url(SIGNATURE_LINK) },
  img: {
    ...SIGNATURE_COMMON,
    src: url(SIGNATURE_IMAGE),
    alt: text,
    width: text,
    height: text,
    border: text,
    loading: oneOf("lazy", "eager"),
  },
  font: { ...SIGNATURE_COMMON, color: text, face: text, size: text },
  table: {
    ...SIGNATURE_COMMON,
    width: text,
    border: text,
    cellpadding: text,
    cellspacing: text,
    bgcolor: text,
    role: text,
  },
  td: { ...SIGNATURE_COMMON, ...cells },
  th: { ...SIGNATURE_COMMON, ...cells, scope: text },
  tr: { ...SIGNATURE_COMMON, bgcolor: text },
  col: { ...SIGNATURE_COMMON, width: text, span: text },
  colgroup: { ...SIGNATURE_COMMON, width: text, span: text },
};

/** Largest signature `html`/`value` the API accepts (characters); the API refuses longer ones before parsing (src/shared/setting-limits.ts). */
export const SIGNATURE_MAX_CHARS = 64 * 1024;

export const SIGNATURE_POLICY: SanitizePolicy = {
  elements: SIGNATURE_ELEMENTS,
  fixedPoint: true,
  dropWithContent: DROP_WITH_CONTENT,
  limits: {
    maxInputChars: SIGNATURE_MAX_CHARS,
    maxNodes: 20_000,
    maxDepth: 64,
    maxAttributes: 64,
    maxAttributeChars: SIGNATURE_MAX_CHARS,
    maxParsedElements: 40_000,
    // Not more than a signature's input bound: stored markup sanitized again is never cut.
    maxOutputChars: SIGNATURE_MAX_CHARS,
  },
};

// ---------------------------------------------------------------------------------------------------
// Imported mail

const MAIL_LINK: UrlRule = {
  schemes: new Set(["http", "https", "mailto", "tel"]),
  relative: false,
  fragment: false,
  dataImage: false,
};
const MAIL_IMAGE: UrlRule = {
  schemes: new Set(["http", "https", "cid"]),
  relative: false,
  fragment: false,
  dataImage: true,
};
const MAIL_BACKGROUND: UrlRule = { ...MAIL_IMAGE, dataImage: false };
const MAIL_STYLE: StyleRule = {
  properties: CSS_PROPERTIES,
  urlSchemes: new Set(["http", "https", "cid"]),
  maxChars: 16_384,
};

const MAIL_COMMON: Record<string, AttributeCheck> = {
  style: style(MAIL_STYLE),
  title: text,
  align: text,
  valign: text,
  dir: text,
  lang: text,
};
const mailCells = {
  ...cells,
  background: url(MAIL_BACKGROUND),
  abbr: text,
  axis: text,
  headers: text,
  scope: text,
};

const MAIL_ELEMENTS: Record<string, Record<string, AttributeCheck>> = {
  ...Object.fromEntries(
    [
      "abbr acronym address article aside b bdi big br caption center cite code dd del dfn details div dl dt em",
      "figcaption figure footer h1 h2 h3 h4 h5 h6 header i ins kbd li mark p pre s samp section small span",
      "strike strong sub summary sup tbody tfoot thead time tt u ul var wbr",
    ]
      .join(" ")
      .split(" ")
      .map((tag) => [tag, MAIL_COMMON]),
  ),
  a: { ...MAIL_COMMON, href: url(MAIL_LINK) },
  bdo: MAIL_COMMON,
  blockquote: { ...MAIL_COMMON, type: text },
  q: MAIL_COMMON,
  font: { ...MAIL_COMMON, color: text, face: text, size: text },
  hr: { ...MAIL_COMMON, width: text, size: text, noshade: text, color: text },
  img: {
    ...MAIL_COMMON,
    src: url(MAIL_IMAGE),
    alt: text,
    width: text,
    height: text,
    border: text,
    hspace: text,
    vspace: text,
  },
  ol: { ...MAIL_COMMON, start: text, type: text, reversed: text },
  ul: { ...MAIL_COMMON, type: text },
  li: { ...MAIL_COMMON, value: text, type: text },
  table: {
    ...MAIL_COMMON,
    width: text,
    height: text,
    border: text,
    cellpadding: text,
    cellspacing: text,
    bgcolor: text,
    background: url(MAIL_BACKGROUND),
    role: text,
    summary: text,
    frame: text,
    rules: text,
  },
  td: { ...MAIL_COMMON, ...mailCells },
  th: { ...MAIL_COMMON, ...mailCells },
  tr: { ...MAIL_COMMON, bgcolor: text, height: text },
  col: { ...MAIL_COMMON, width: text, span: text },
  colgroup: { ...MAIL_COMMON, width: text, span: text },
};

/** Every kept link opens outside the app, without a referrer or a handle on the app's window. */
function finishMailElement(tagName: string, attributes: { name: string; value: string }[]) {
  if (tagName !== "a" || !attributes.some((a) => a.name === "href")) return attributes;
  return [...attributes, { name: "target", value: "_blank" }, { name: "rel", value: "noopener noreferrer" }];
}

/** Longest mail HTML sanitized (characters); longer bodies are cut there and reported as truncated. */
export const MAIL_MAX_CHARS = 256 * 1024;

export const MAIL_POLICY: SanitizePolicy = {
  elements: MAIL_ELEMENTS,
  fixedPoint: false,
  dropWithContent: DROP_WITH_CONTENT,
  finish: finishMailElement,
  limits: {
    maxInputChars: MAIL_MAX_CHARS,
    maxNodes: 50_000,
    maxDepth: 128,
    maxAttributes: 64,
    maxAttributeChars: 64 * 1024,
    maxParsedElements: 100_000,
    maxOutputChars: 256 * 1024,
  },
};
