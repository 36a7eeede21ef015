/**
 * The text of markup, read with parse5's tokenizer alone: no tree is built, so the work is linear in the
 * input whatever its shape. It is what the sanitizer keeps when a tree would cost more than its budget
 * (or when rounds do not settle): the text a reader needs, with line breaks where blocks were, and
 * nothing else. The output holds only escaped text and `<br>` elements, so no parser can read markup
 * into it, and it is a fixed point of both policies.
 */
import {
  type DefaultTreeAdapterTypes as Dom,
  defaultTreeAdapter as dom,
  html,
  serialize,
  type Token,
  type TokenHandler,
  Tokenizer,
  TokenizerMode,
} from "parse5";
import { escapedLength, textWithin } from "./serialized-length";

/** Elements whose content is not text a reader sees, with the tokenizer state their content is read in. */
const CONTENT_STATE: Readonly<Record<string, number>> = {
  script: TokenizerMode.SCRIPT_DATA,
  style: TokenizerMode.RAWTEXT,
  xmp: TokenizerMode.RAWTEXT,
  iframe: TokenizerMode.RAWTEXT,
  noembed: TokenizerMode.RAWTEXT,
  noframes: TokenizerMode.RAWTEXT,
  noscript: TokenizerMode.RAWTEXT,
  textarea: TokenizerMode.RCDATA,
  title: TokenizerMode.RCDATA,
  plaintext: TokenizerMode.PLAINTEXT,
};

/** Elements whose start or end begins a new line of text. */
const LINE_BREAKS = new Set(
  (
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 header hr li main " +
    "nav ol p pre section table tbody td tfoot th thead tr ul"
  ).split(" "),
);

/**
 * Elements whose content a reader does not see (foreign content, templates, embedded objects), read by the
 * tokenizer as markup: skipped up to their end tag. (`head` is not among them: its end tag is optional and
 * a tree builder ignores it inside the body; its title, style and script are skipped by their states.)
 */
const SKIPPED = new Set(["svg", "math", "template", "select", "object", "applet", "audio", "video", "canvas"]);

/** Start tags that end foreign content (svg, math) in a tree builder: the HTML after them is seen again. */
const FOREIGN_BREAKOUT = new Set(
  (
    "b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img li listing menu " +
    "meta nobr ol p pre ruby s small span strike strong sub sup table tt u ul var"
  ).split(" "),
);

/** Where a block began or ended: a line break in the text. */
const BREAK = null;

class TextCollector implements TokenHandler {
  tokenizer: Tokenizer | undefined;
  readonly parts: (string | typeof BREAK)[] = [];
  chars = 0;
  full = false;
  /** Open elements whose content is skipped, by name: their end tag ends the skip. */
  private skipping: string | null = null;
  private skipDepth = 0;
  private pendingBreak = false;

  private breaks = 0;

  /**
   * `maxChars`: the most characters of output (text as escaped, 4 per `<br>`); `maxBreaks`: the most `<br>`
   * elements (later blocks are separated by a space).
   */
  constructor(
    private readonly maxChars: number,
    private readonly maxBreaks: number,
  ) {}

  onStartTag(token: Token.TagToken) {
    const name = token.tagName;
    if (this.skipping !== null) {
      const foreign = this.skipping === "svg" || this.skipping === "math";
      if (foreign && FOREIGN_BREAKOUT.has(name)) this.skipping = null;
      else {
        if (name === this.skipping && !token.selfClosing) this.skipDepth++;
        return;
      }
    }
    const state = Object.hasOwn(CONTENT_STATE, name) ? CONTENT_STATE[name] : undefined;
    if (state !== undefined && this.tokenizer && !token.selfClosing) this.tokenizer.state = state;
    if (state !== undefined || (SKIPPED.has(name) && !token.selfClosing)) {
      this.skipping = name;
      this.skipDepth = 1;
    } else if (LINE_BREAKS.has(name)) this.pendingBreak = true;
  }

  onEndTag(token: Token.TagToken) {
    const name = token.tagName;
    if (this.skipping !== null) {
      if (name === this.skipping && --this.skipDepth === 0) this.skipping = null;
      return;
    }
    if (LINE_BREAKS.has(name)) this.pendingBreak = true;
  }

  onCharacter(token: Token.CharacterToken) {
    if (this.skipping !== null || this.full) return;
    if (this.pendingBreak && this.parts.length > 0) {
      // Past the most breaks, blocks are separated by a space: the output stays within the node bound.
      const asBreak = this.breaks++ < this.maxBreaks;
      if (this.chars + (asBreak ? 4 : 1) > this.maxChars) {
        this.full = true;
        return;
      }
      this.parts.push(asBreak ? BREAK : " ");
      this.chars += asBreak ? 4 : 1;
    }
    this.pendingBreak = false;
    const needed = escapedLength(token.chars);
    const text =
      this.chars + needed > this.maxChars ? textWithin(token.chars, this.maxChars - this.chars) : token.chars;
    this.parts.push(text);
    this.chars += text === token.chars ? needed : escapedLength(text);
    if (text !== token.chars) this.full = true;
  }

  onWhitespaceCharacter(token: Token.CharacterToken) {
    if (this.parts.length > 0) this.onCharacter(token);
  }

  onNullCharacter() {}
  onComment() {}
  onDoctype() {}
  onEof() {}
}

/**
 * The text of `markup` as escaped HTML of at most `maxChars` characters, blocks separated by `<br>` (at most
 * `maxNodes` nodes in all, later blocks by a space). `cut` says the text was longer.
 */
export function textFallback(markup: string, maxChars: number, maxNodes: number): { html: string; cut: boolean } {
  const collector = new TextCollector(maxChars, Math.floor((maxNodes - 1) / 2));
  const tokenizer = new Tokenizer({ sourceCodeLocationInfo: false }, collector);
  collector.tokenizer = tokenizer;
  tokenizer.write(markup, true);
  const out = dom.createDocumentFragment();
  for (const part of collector.parts) {
    if (part === BREAK) dom.appendChild(out, dom.createElement("br", html.NS.HTML, []));
    else dom.insertText(out, part);
  }
  return { html: serialize(out as Dom.DocumentFragment), cut: collector.full };
}

/**
 * The plain text of `markup` (what a reader sees: no scripts, styles or markup; blocks on their own lines), at most
 * `maxChars` characters: what a search indexes of an HTML body. Linear in the input, as textFallback.
 */
export function plainText(markup: string, maxChars: number): string {
  // The collector bounds what it keeps by its escaped length (an "&" costs 5, a break 4): room for the longest
  // escapes, then the text is cut to `maxChars` characters.
  const collector = new TextCollector(maxChars * ESCAPE_MAX, maxChars);
  const tokenizer = new Tokenizer({ sourceCodeLocationInfo: false }, collector);
  collector.tokenizer = tokenizer;
  tokenizer.write(markup, true);
  return collector.parts
    .map((part) => (part === BREAK ? "\n" : part))
    .join("")
    .slice(0, maxChars);
}

/** The most characters one character of text takes escaped (`&nbsp;`). */
const ESCAPE_MAX = 6;
