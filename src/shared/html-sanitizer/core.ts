/**
 * The sanitizer core: the input is parsed as a browser parses it (parse5: the WHATWG tokenizer and tree
 * builder, as `innerHTML` of a `<div>`), the tree is walked against a policy's allow-list, and the kept
 * tree is written out with parse5's serializer, which escapes every text and attribute value. Comments,
 * foreign content (SVG, MathML) and every raw-text element are gone from the output, so no text of it
 * can be read as markup by the next parser. The output is run through the same steps until it no longer
 * changes (at most three rounds; parsers restructure a few misnested trees once), so that what a
 * browser builds from it is exactly the sanitized tree: sanitize(sanitize(x)) === sanitize(x).
 *
 * Costs are linear in the input. The tree builder itself is linear except where the HTML standard makes
 * it create elements the input does not spell: before each new block's text it reconstructs every open
 * formatting element, so `1,000 x <b title=N>` then `9,000 x <p>x` builds nine million elements from
 * 50 KB. The parse therefore runs with a budget of created elements (counted in the tree adapter, clones
 * included); past it, the parse stops and the markup is reduced to its text by a tokenizer-only pass
 * (text-fallback.ts), flagged `simplified`. The output is bounded too: markup whose output would be more
 * than a small multiple of the input is reduced to its text as well, and output past `maxOutputChars` is cut.
 */
import { type DefaultTreeAdapterTypes as Dom, defaultTreeAdapter as dom, html, parseFragment, serialize } from "parse5";
import { cutAt, escapedLength, textWithin } from "./serialized-length";
import { textFallback } from "./text-fallback";

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
  /** Elements the tree builder may create in one parse, its reconstructed clones included. */
  maxParsedElements: number;
  /** Longest output; longer output is cut (`truncated`). */
  maxOutputChars: number;
}

/**
 * Output characters per input character (escaping and `rel` on links lengthen markup), plus a constant,
 * past which the output is reduced to text.
 */
const OUTPUT_PER_INPUT_CHAR = 4;
const OUTPUT_SLACK_CHARS = 1024;

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
  /** Not all of the input is in the output: it was cut at `maxInputChars` or `maxNodes`, or its text at the output bound. */
  truncated: boolean;
  /** The markup would have cost more than the parse budget: the output is its text only (line breaks kept). */
  simplified: boolean;
}

/** Thrown by the counting tree adapter when a parse reaches its element budget. */
class ParseBudgetExceeded extends Error {}

/** parse5's tree adapter, counting the elements it creates: a parse past `maxElements` throws. */
function budgetedTreeAdapter(maxElements: number): typeof dom {
  let created = 0;
  return {
    ...dom,
    createElement(tagName, namespaceURI, attrs) {
      if (++created > maxElements) throw new ParseBudgetExceeded();
      return dom.createElement(tagName, namespaceURI, attrs);
    },
  };
}

/** The fragment a browser builds from `markup` as `innerHTML` of a `<div>`, or null past the element budget. */
function parseWithinBudget(markup: string, maxElements: number): Dom.DocumentFragment | null {
  const context = dom.createElement("div", html.NS.HTML, []);
  try {
    return parseFragment(context, markup, { treeAdapter: budgetedTreeAdapter(maxElements) });
  } catch (error) {
    if (error instanceof ParseBudgetExceeded) return null;
    throw error;
  }
}

/** Characters an element's start and end tags take once serialized. */
function tagsLength(tag: string, attributes: Attribute[]): number {
  let length = tag.length + 2 + (VOID.has(tag) ? 0 : tag.length + 3);
  for (const { name, value } of attributes) length += name.length + 4 + escapedLength(value, true);
  return length;
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

type RoundResult = { html: string; truncated: boolean } | null;

/**
 * One round: parse, walk (iteratively, so a deep tree cannot exhaust the stack), serialize; null when the
 * parse goes past its element budget or the output grows past a multiple of the input (markup that grows
 * that much is mostly what the tree builder made up, and its text serves a reader better than a cut-off
 * tree). Output past `maxOutputChars` is cut (`truncated`), like input past `maxInputChars`. Later rounds
 * read an earlier round's output, which escaping can make longer than the input and parsing can give a few
 * implied elements (`tbody`): they are not cut at the input or output bounds and may visit twice the nodes.
 */
function sanitizeOnce(input: string, policy: SanitizePolicy, laterRound: boolean): RoundResult {
  const { maxDepth, maxParsedElements } = policy.limits;
  const maxInputChars = laterRound ? Number.POSITIVE_INFINITY : policy.limits.maxInputChars;
  const maxNodes = laterRound ? policy.limits.maxNodes * 2 : policy.limits.maxNodes;
  const { source, cut } = boundedInput(input, maxInputChars);
  let truncated = cut;
  const maxGrowth = laterRound ? Number.POSITIVE_INFINITY : growthBound(source.length);
  const maxOutput = laterRound ? Number.POSITIVE_INFINITY : policy.limits.maxOutputChars;
  const parsed = parseWithinBudget(source, laterRound ? maxParsedElements * 2 : maxParsedElements);
  if (!parsed) return null;
  const out = dom.createDocumentFragment();
  const stack: Frame[] = [{ nodes: parsed.childNodes, index: 0, target: out, depth: 0, inLink: false }];
  let visited = 0;
  let outputLength = 0;
  /** Counts `chars` more of output: past the growth bound the round gives up, past the output bound it is cut. */
  const spend = (chars: number): "ok" | "cut" | "grown" => {
    outputLength += chars;
    return outputLength > maxGrowth ? "grown" : outputLength > maxOutput ? "cut" : "ok";
  };
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
      const room = maxOutput - outputLength;
      const spent = spend(escapedLength(node.value));
      if (spent === "grown") return null;
      if (spent === "cut") {
        truncated = true;
        dom.insertText(frame.target, textWithin(node.value, room));
        break;
      }
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
    const attributes = keptAttributes(node, allowed, policy);
    const spent = spend(tagsLength(tag, attributes));
    if (spent === "grown") return null;
    if (spent === "cut") {
      truncated = true;
      break;
    }
    const element = dom.createElement(tag, html.NS.HTML, attributes);
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

/** The input within `maxChars` (whole surrogate pairs), and whether it was cut. */
function boundedInput(input: string, maxChars: number): { source: string; cut: boolean } {
  const cut = input.length > maxChars;
  return { source: cut ? cutAt(input, maxChars) : input, cut };
}

/** Longest output for an input of `inputChars` characters before its markup counts as made up. */
function growthBound(inputChars: number): number {
  return OUTPUT_PER_INPUT_CHAR * inputChars + OUTPUT_SLACK_CHARS;
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
  if (!first) return simplified(input, policy);
  if (!policy.fixedPoint) return { ...first, simplified: false };
  let current = first.html;
  for (let round = 0; round < 2; round++) {
    const next = sanitizeOnce(current, policy, true)?.html;
    if (next === current) return { html: current, truncated: first.truncated, simplified: false };
    if (next === undefined) break;
    current = next;
  }
  return simplified(input, policy);
}

/** The input's text only (see text-fallback.ts), within the same input and output bounds. */
function simplified(input: string, policy: SanitizePolicy): SanitizeResult {
  const { source, cut } = boundedInput(input, policy.limits.maxInputChars);
  const maxOutput = Math.min(policy.limits.maxOutputChars, growthBound(source.length));
  const text = textFallback(source, maxOutput, policy.limits.maxNodes);
  return { html: text.html, truncated: cut || text.cut, simplified: true };
}
