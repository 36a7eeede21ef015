import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sanitizeMailHtml, sanitizeSignatureHtml } from "@/shared/html-sanitizer";
import { type Corpus, reparsed, unsafeParts } from "../helpers/xss-oracle";

/**
 * Public XSS vector collections nobody here wrote, read from their npm packages (test/servers/xss-corpora.ts:
 * DOMPurify's fixtures, the Big List of Naughty Strings). Every vector goes through each policy; the output
 * is parsed as a browser parses it and must hold no script-capable element, event handler, dangerous URL
 * or style, in one parse round and in two (mutation XSS: the output written back and read again);
 * sanitizing it again changes nothing.
 */
const corpora = (JSON.parse(env.TEST_XSS_CORPORA) as Corpus[]).map((corpus) => [corpus.source, corpus] as const);

/** Signatures are stored: their sanitizer runs to a fixed point. Mail is sanitized on every read, in one round. */
const policies: [string, (html: string) => string, boolean][] = [
  ["signature", sanitizeSignatureHtml, true],
  ["mail", (html) => sanitizeMailHtml(html).html, false],
];

describe.each(corpora)("%s", (_name, corpus) => {
  it("is a corpus of many vectors", () => {
    expect(corpus.vectors.length).toBeGreaterThan(100);
    expect(corpus.package).toMatch(/^[a-z-]+@\d+\.\d+\.\d+$/);
  });

  describe.each(policies)("%s policy", (_policy, sanitize, stable) => {
    it.each(corpus.vectors.map((v, i) => [i, v.title.slice(0, 80), v.payload] as const))(
      "vector %i (%s)",
      (_i, _title, payload) => {
        const once = sanitize(payload);
        expect(unsafeParts(once)).toEqual([]);
        const browserOnce = reparsed(once);
        expect(unsafeParts(browserOnce)).toEqual([]);
        expect(unsafeParts(reparsed(browserOnce))).toEqual([]);
        const twice = sanitize(once);
        expect(unsafeParts(twice)).toEqual([]);
        if (stable) {
          // What a browser writes back is the output itself, and sanitizing it again changes nothing.
          expect(browserOnce).toBe(once);
          expect(twice).toBe(once);
        }
      },
    );
  });
});
