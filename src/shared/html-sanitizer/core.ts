/**
 * The sanitizer core: the input is parsed as a browser parses it (parse5: the WHATWG tokenizer and tree
 * builder, as `innerHTML` of a `<div>`), the tree is walked against a policy's allow-list, and the kept
 * tree is written out with parse5's serializer, which escapes every text and attribute value. Comments,
 * foreign content (SVG, MathML) and every raw-text element are gone from the output, so no text of it
 * can be read as markup by the next parser. The output is run through the same steps until it no longer
 * changes (at most three rounds; parsers restructure a few misnested trees once), so that what a
 * browser builds from it is exactly the sanitized tree: sanitize(sanitize(x)) === sanitize(x).
 */
import { type DefaultTreeAdapterTypes as Dom, defaultTreeAdapter as dom, html, parseFragment, serialize } from "parse5";

type Attribute = { name: string; value: string };

/** Checks one attribute value; answers the value to emit, or null to drop the attribute. */
export type AttributeCheck = (value: string) => string | null;

export interface SanitizeLimits {
  /** Longer input is cut here before parsing (and reported as truncated). */
  maxInputChars: number;
  /** Nodes of the parsed tree visited at most; the rest is left out (and reported as truncated). */
  maxNodes: number;
  /** Elements nested deeper are unwrapped: their text stays, in the element at this depth. */
  maxDepth: number;
  /** Attributes of one element considered at most; later ones are dropped. */
  maxAttributes: number;
  /** Longer attribute values are dropped. */
  maxAttributeChars: number;
}

export interface SanitizePolicy {
  /** Allowed elements, each with its allowed attributes and their checks. */
  elements: Readonly<Record<string, Readonly<Record<string, AttributeCheck>>>>;
  /** Removed together with everything inside them. Any other element not allowed is unwrapped (text kept). */
  dropWithContent: ReadonlySet<string>;
  /**
   * Run to a fixed point (stored markup: sanitize(sanitize(x)) === sanitize(x)), or one round only
   * (markup sanitized whenever it is served, where the second parse would double the cost; one round
   * is as safe, see sanitizeHtml).
   */
  fixedPoint: boolean;
  /** Adjusts a kept element's checked attributes (e.g. `rel` on links). */
  finish?: (tagName: string, attributes: Attribute[]) => Attribute[];
  limits: SanitizeLimits;
}

export interface SanitizeResult {
  html: string;
  /** The input was cut at `maxInputChars` or `maxNodes`. */
  truncated: boolean;
}

/** Elements that can hold no content; their children (there are none) are not walked. */
const VOID = new Set([
  "area",
  "base",
  "br",
  "col",
  "embed",
  "hr",
  "img",
  "input",
  "link",
  "meta",
  "source",
  "track",
  "wbr",
]);

interface Frame {
  nodes: Dom.ChildNode[];
  index: number;
  target: Dom.ParentNode;
  depth: number;
  inLink: boolean;
}

function keptAttributes(
  element: Dom.Element,
  allowed: Readonly<Record<string, AttributeCheck>>,
  policy: SanitizePolicy,
) {
  const { maxAttributes, maxAttributeChars } = policy.limits;
  const kept: Attribute[] = [];
  const count = Math.min(element.attrs.length, maxAttributes);
  for (let i = 0; i < count; i++) {
    const attr = element.attrs[i];
    if (!attr || attr.namespace || attr.name.startsWith("on") || attr.value.length > maxAttributeChars) continue;
    const check = Object.hasOwn(allowed, attr.name) ? allowed[attr.name] : undefined;
    const value = check?.(attr.value);
    if (value != null) kept.push({ name: attr.name, value });
  }
  return policy.finish ? policy.finish(element.tagName, kept) : kept;
}

/** An element's children; an HTML `<template>` holds them in its content fragment. */
function childrenOf(node: Dom.Element): Dom.ChildNode[] {
  const content = node.tagName === "template" ? (node as Partial<Dom.Template>).content : undefined;
  return content ? content.childNodes : node.childNodes;
}

/**
 * One round: parse, walk (iteratively, so a deep tree cannot exhaust the stack), serialize. Later rounds
 * read an earlier round's output, which escaping can make longer than the input and parsing can give a
 * few implied elements (`tbody`): they are not cut at the input bound and may visit twice the nodes.
 */
function sanitizeOnce(input: string, policy: SanitizePolicy, laterRound: boolean): SanitizeResult {
  const { maxDepth } = policy.limits;
  const maxInputChars = laterRound ? Number.POSITIVE_INFINITY : policy.limits.maxInputChars;
  const maxNodes = laterRound ? policy.limits.maxNodes * 2 : policy.limits.maxNodes;
  let truncated = input.length > maxInputChars;
  const source = truncated ? cutAt(input, maxInputChars) : input;
  const context = dom.createElement("div", html.NS.HTML, []);
  const parsed = parseFragment(context, source, {});
  const out = dom.createDocumentFragment();
  const stack: Frame[] = [{ nodes: parsed.childNodes, index: 0, target: out, depth: 0, inLink: false }];
  let visited = 0;
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    const node = frame.nodes[frame.index++];
    if (!node) {
      stack.pop();
      continue;
    }
    if (++visited > maxNodes) {
      truncated = true;
      break;
    }
    if (dom.isTextNode(node)) {
      dom.insertText(frame.target, node.value);
      continue;
    }
    if (!dom.isElementNode(node) || node.namespaceURI !== html.NS.HTML) continue; // comments, doctypes, SVG, MathML
    const tag = node.tagName;
    if (policy.dropWithContent.has(tag)) continue;
    const allowed = Object.hasOwn(policy.elements, tag) ? policy.elements[tag] : undefined;
    // A link inside a link is no link (a parser would move it out, changing the tree on the next round).
    if (!allowed || (tag === "a" && frame.inLink) || frame.depth >= maxDepth) {
      stack.push({ ...frame, nodes: childrenOf(node), index: 0 });
      continue;
    }
    const element = dom.createElement(tag, html.NS.HTML, keptAttributes(node, allowed, policy));
    dom.appendChild(frame.target, element);
    if (VOID.has(tag)) continue;
    stack.push({
      nodes: childrenOf(node),
      index: 0,
      target: element,
      depth: frame.depth + 1,
      inLink: frame.inLink || tag === "a",
    });
  }
  return { html: serialize(out), truncated };
}

/** Cuts at `max` UTF-16 units without splitting a surrogate pair. */
function cutAt(text: string, max: number): string {
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** The text of the markup only, escaped: the fallback when rounds do not settle. */
function textOnly(markup: string): string {
  const parsed = parseFragment(dom.createElement("div", html.NS.HTML, []), markup, {});
  const out = dom.createDocumentFragment();
  const stack: Dom.ChildNode[] = [...parsed.childNodes].reverse();
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (dom.isTextNode(node)) dom.insertText(out, node.value);
    else if (dom.isElementNode(node)) {
      const children = childrenOf(node);
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Dom.ChildNode);
    }
  }
  return serialize(out);
}

/**
 * Sanitizes `input` under `policy`. One round is already safe: its output holds only allowed elements
 * and attributes, escaped text, no comment, raw-text or foreign element, so a parser reading it can
 * only rearrange those elements (implied `tbody`, a misnested element closed or cloned with the same
 * attributes) and create nothing else. With `fixedPoint` the result is also stable: sanitizing it
 * again, or a browser writing it back, changes nothing.
 */
export function sanitizeHtml(input: string, policy: SanitizePolicy): SanitizeResult {
  const first = sanitizeOnce(input, policy, false);
  if (!policy.fixedPoint) return first;
  let current = first.html;
  for (let round = 0; round < 2; round++) {
    const next = sanitizeOnce(current, policy, true).html;
    if (next === current) return { html: current, truncated: first.truncated };
    current = next;
  }
  return { html: textOnly(current), truncated: first.truncated };
}
