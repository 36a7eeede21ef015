import { describe, expect, it } from "vitest";
import { sanitizeMailHtml, sanitizeSignatureHtml } from "@/shared/html-sanitizer";
import { reparsed, unsafeParts } from "../helpers/xss-oracle";

/**
 * Mutation XSS: markup that is harmless as one parser reads it and active after it is written back and
 * read again (namespace confusion, raw-text elements, comments, misnesting). Every output is parsed,
 * written back and parsed again; no round may hold anything unsafe, and the signature output is a
 * fixed point (the stored markup is what every later parse builds).
 */
const policies: [string, (html: string) => string, boolean][] = [
  ["signature", sanitizeSignatureHtml, true],
  ["mail", (html) => sanitizeMailHtml(html).html, false],
];

function expectSafeAcrossRounds(sanitize: (html: string) => string, stable: boolean, input: string) {
  const once = sanitize(input);
  const browser = reparsed(once);
  expect(unsafeParts(once), once).toEqual([]);
  expect(unsafeParts(browser), browser).toEqual([]);
  expect(unsafeParts(reparsed(browser))).toEqual([]);
  expect(unsafeParts(sanitize(once))).toEqual([]);
  if (stable) {
    expect(browser).toBe(once);
    expect(sanitize(once)).toBe(once);
  }
  return once;
}

const KNOWN = [
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
  '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
  "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
  '<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;img src=1 onerror=alert(1)&gt;">',
  "<!--><img src=x onerror=alert(1)>-->",
  "<!-- --!><img src=x onerror=alert(1)>-->",
  "<listing>&lt;img src=x onerror=alert(1)&gt;</listing>",
  "<textarea><img src=x onerror=alert(1)></textarea><title><img src=x onerror=alert(1)></title>",
  "<select><style><img src onerror=alert(1)></style></select>",
  "<template><img src=x onerror=alert(1)></template><xmp><img src=x onerror=alert(1)></xmp>",
  '<a href="https://x.example">1<table><tbody><tr><td><a href="https://y.example">2</a></td></tr></tbody></table></a>',
  "<p>1<button><p>2</p></button></p><h1><x-y><h2>t</h2></x-y></h1><p>a<marquee><p>b</marquee></p>",
  "<b><table><td><i>x</b>y</i></td></table>z",
  '<img src="x\u0000" alt="a\u0000b">\u0000<b>n\u0000</b>',
  '<a href="https://x.example/" title="`"><img src=x onerror=alert(1)>`">x</a>',
  '<img src="https://x.example/a.png" alt="&lt;/p&gt;&lt;svg onload=alert(1)&gt;">',
  '<p>unterminated <b>bold <img src="x',
  "</p><p></p></br><br/>",
];

describe.each(policies)("%s policy: known mutation vectors", (_name, sanitize, stable) => {
  it.each(KNOWN)("%j", (input) => {
    expectSafeAcrossRounds(sanitize, stable, input);
  });
});

/** A small deterministic generator (mulberry32) of hostile markup from risky pieces. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
  const tags = (
    "a p div span b i u font table tbody tr td th caption colgroup col li ul ol h1 h2 img br hr pre blockquote " +
    "form svg math mtext mglyph mi style script noscript template select option textarea title xmp iframe " +
    "button marquee object embed listing plaintext noembed base meta link desc foreignObject annotation-xml"
  ).split(" ");
  const values = [
    "javascript:alert(1)",
    "java&Tab;script:alert(1)",
    "&#106;avascript:alert(1)",
    "&#38;#106;avascript:x",
    "https://ok.example/?a=1&b=2",
    "cid:x@y",
    "data:image/png;base64,AAAA",
    "data:text/html,<script>x</script>",
    "</style><img src=x onerror=alert(1)>",
    "--><svg onload=alert(1)>",
    "color:red;background:url(javascript:x)",
    "width:\\65xpression(alert(1))",
    '"><img src=x onerror=alert(1)>',
  ];
  const attrs = ["href", "src", "style", "title", "onerror", "onclick", "background", "alt", "xlink:href", "cite"];
  const texts = ["x", "<", "&", "&lt;img src=x onerror=alert(1)&gt;", "-->", "<!--", "]]>", "&amp;", "\u0000", " "];
  const piece = () => {
    const roll = next();
    if (roll < 0.45) {
      const attributes = Array.from({ length: Math.floor(next() * 3) }, () => `${pick(attrs)}="${pick(values)}"`);
      return `<${pick(tags)}${attributes.length ? ` ${attributes.join(" ")}` : ""}>`;
    }
    if (roll < 0.7) return `</${pick(tags)}>`;
    if (roll < 0.8) return `<!--${pick(texts)}-->`;
    return pick(texts);
  };
  return () => Array.from({ length: 4 + Math.floor(next() * 16) }, piece).join("");
}

describe.each(policies)("%s policy: generated hostile markup", (_name, sanitize, stable) => {
  it("stays safe and stable for 400 generated inputs", () => {
    const generate = generator(20260108);
    for (let i = 0; i < 400; i++) expectSafeAcrossRounds(sanitize, stable, generate());
  });
});
