/**
 * An independent check of sanitizer output, written without the sanitizer's code: the markup is parsed
 * with parse5 as a browser parses `innerHTML` of a `<div>`, and every node of the tree is inspected.
 * Its rules are stricter than the sanitizer's where that is simple (every control character and space
 * is removed from a URL before its scheme is read).
 */
import { type DefaultTreeAdapterTypes as Dom, defaultTreeAdapter as dom, html, parseFragment, serialize } from "parse5";

/** Elements that run script, load active content, or parse their content in a way of their own. */
const SCRIPT_CAPABLE = new Set(
  (
    "script style iframe frame frameset object embed applet param svg math form input button textarea select " +
    "option template noscript noembed noframes xmp plaintext base meta link portal video audio source track " +
    "image isindex keygen animate set handler listener import xml xss title marquee"
  ).split(" "),
);

/** Attributes whose value a browser fetches, navigates to or runs as a URL. */
const URL_ATTRIBUTES = new Set(
  (
    "href src action formaction background poster cite data srcset lowsrc dynsrc ping longdesc usemap codebase " +
    "classid manifest icon profile archive xlink:href"
  ).split(" "),
);

const SAFE_IMAGE_DATA = /^data:image\/(png|jpe?g|gif|webp);base64,/;

function urlProblem(tag: string, name: string, value: string): string | null {
  const compact = [...value]
    .filter((ch) => (ch.codePointAt(0) ?? 0) > 0x20 && ch !== "\u00ad")
    .join("")
    .toLowerCase();
  for (const scheme of ["javascript:", "vbscript:", "livescript:", "mocha:", "data:"]) {
    if (!compact.startsWith(scheme)) continue;
    if (scheme === "data:" && tag === "img" && name === "src" && SAFE_IMAGE_DATA.test(compact)) return null;
    return `<${tag} ${name}="${value.slice(0, 60)}">`;
  }
  return null;
}

function styleProblem(tag: string, value: string): string | null {
  const compact = value.toLowerCase().replace(/[\s\\]|\/\*|\*\//g, "");
  for (const bad of ["expression(", "javascript:", "vbscript:", "-moz-binding", "behavior:", "@import"]) {
    if (compact.includes(bad)) return `<${tag} style="${value.slice(0, 60)}">`;
  }
  for (const match of compact.matchAll(/url\(['"]?([^'")]*)/g)) {
    if (!/^(https?|cid):/.test(match[1] ?? "")) return `<${tag} style url(${(match[1] ?? "").slice(0, 40)})>`;
  }
  return null;
}

/** What is unsafe in `markup` as a browser would build it; empty when nothing is. */
export function unsafeParts(markup: string): string[] {
  const problems: string[] = [];
  const parsed = parseFragment(dom.createElement("div", html.NS.HTML, []), markup, {});
  const stack: Dom.ChildNode[] = [...parsed.childNodes];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (dom.isCommentNode(node)) problems.push("a comment");
    if (!dom.isElementNode(node)) continue;
    const tag = node.tagName;
    if (node.namespaceURI !== html.NS.HTML) problems.push(`foreign element <${tag}>`);
    if (SCRIPT_CAPABLE.has(tag)) problems.push(`<${tag}>`);
    for (const attr of node.attrs) {
      const name = attr.prefix ? `${attr.prefix}:${attr.name}` : attr.name;
      if (name.toLowerCase().startsWith("on")) problems.push(`<${tag} ${name}>`);
      if (URL_ATTRIBUTES.has(name.toLowerCase())) {
        const problem = urlProblem(tag, name, attr.value);
        if (problem) problems.push(problem);
      }
      if (name === "style") {
        const problem = styleProblem(tag, attr.value);
        if (problem) problems.push(problem);
      }
    }
    const content = tag === "template" ? (node as Partial<Dom.Template>).content : undefined;
    const children = content ? content.childNodes : node.childNodes;
    stack.push(...children);
  }
  return problems;
}

/** The markup as a browser would write it back (`innerHTML` after setting it): one parse round. */
export function reparsed(markup: string): string {
  return serialize(parseFragment(dom.createElement("div", html.NS.HTML, []), markup, {}));
}

/** A public vector collection, loaded from its npm package by test/servers/xss-corpora.ts. */
export interface Corpus {
  source: string;
  package: string;
  license: string;
  vectors: { title: string; payload: string }[];
}
