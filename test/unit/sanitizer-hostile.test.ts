import { describe, expect, it } from "vitest";
import { sanitizeMailHtml, sanitizeSignatureHtml } from "@/shared/html-sanitizer";
import { HOSTILE_FAMILIES, newsletter } from "../fixtures/hostile-html";
import { reparsed, unsafeParts } from "../helpers/xss-oracle";

/**
 * Markup whose tree costs more than its length (formatting reconstruction, deep nesting, foster parenting,
 * attribute floods) at 16, 64 and 256 KB: the output stays within its bounds and safe, the text a reader
 * needs survives, and ordinary mail is untouched by the budgets. Time is measured in bench/, not here; a
 * run of these shapes through the unbounded tree builder took seconds per case and hundreds of KB of output.
 */
const KiB = 1024;
const SIZES = [16, 64, 256];
const MAX_OUTPUT = 256 * KiB;

describe.each(HOSTILE_FAMILIES)("$name", (family) => {
  it.each(SIZES)("%i KB as mail: bounded, safe output", (size) => {
    const input = family.make(size * KiB);
    const result = sanitizeMailHtml(input);
    const cutInput = Math.min(input.length, 256 * KiB);
    expect(result.html.length).toBeLessThanOrEqual(Math.min(MAX_OUTPUT, 4 * cutInput + KiB));
    expect(unsafeParts(result.html)).toEqual([]);
    expect(unsafeParts(reparsed(result.html))).toEqual([]);
  });

  it.each(SIZES)("%i KB as a signature: bounded, safe, stable output", (size) => {
    const input = family.make(size * KiB);
    const once = sanitizeSignatureHtml(input);
    expect(once.length).toBeLessThanOrEqual(Math.min(MAX_OUTPUT, 4 * Math.min(input.length, 64 * KiB) + KiB));
    expect(unsafeParts(once)).toEqual([]);
    expect(sanitizeSignatureHtml(once)).toBe(once);
  });
});

describe("formatting reconstruction", () => {
  it.each(["b", "i", "em", "strong", "font", "code", "u"] as const)(
    "<%s> clones past the budget reduce the mail to its text, with line breaks",
    (tag) => {
      const openers = Array.from({ length: 1000 }, (_, i) => `<${tag} title=t${i}>`).join("");
      const input = `<p>${openers}${"<p>Zählerstand".repeat(9000)}<script>alert(1)</script>`;
      const result = sanitizeMailHtml(input);
      expect(result.simplified).toBe(true);
      expect(result.html.startsWith("Zählerstand<br>Zählerstand<br>")).toBe(true);
      expect(result.html).not.toContain("alert");
      expect(result.html.length).toBeLessThanOrEqual(4 * input.length + KiB);
    },
  );

  it("a few reconstructed elements stay formatting (under the budget)", () => {
    const result = sanitizeMailHtml('<p><b title="x">bold<p>again</p>');
    expect(result).toEqual({
      html: '<p><b title="x">bold</b></p><p><b title="x">again</b></p>',
      truncated: false,
      simplified: false,
    });
  });
});

describe("ordinary mail", () => {
  it.each([16, 64, 200])("a %i KB newsletter keeps its markup, neither simplified nor cut", (size) => {
    const input = newsletter(size * KiB);
    const result = sanitizeMailHtml(input);
    expect(result.simplified).toBe(false);
    expect(result.truncated).toBe(false);
    expect(result.html).toContain('<img src="https://cdn.example.com/img/1.jpg"');
    expect(result.html.length).toBeLessThan(input.length * 1.5);
  });
});
