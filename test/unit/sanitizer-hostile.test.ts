import { describe, expect, it } from "vitest";
import { sanitizeMailHtml, sanitizeSignatureHtml } from "@/shared/html-sanitizer";
import { formattingReconstruction, HOSTILE_FAMILIES, newsletter } from "../fixtures/hostile-html";
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

describe("the text a budget hit keeps", () => {
  const hostile = formattingReconstruction(64 * KiB, "b", "p");

  it("keeps the body after an unclosed <head>, and HTML that breaks out of <svg> or <math>", () => {
    const result = sanitizeMailHtml(
      `<html><head><meta charset=utf-8><title>Title</title><body><p>Hello world</p>` +
        `<svg><p>after svg</p></svg><math><mi>x</mi><p>after math</p>${hostile}`,
    );
    expect(result.simplified).toBe(true);
    expect(result.html.startsWith("Hello world<br>after svg<br>after math<br>")).toBe(true);
    expect(result.html).not.toContain("Title");
  });

  it("fills the output bound with text (exact escaped lengths), never splitting a surrogate pair", () => {
    const result = sanitizeMailHtml(`${formattingReconstruction(16 * KiB, "i", "li")}<p>${"y".repeat(200 * KiB)}`);
    expect(result.simplified).toBe(true);
    expect(result.html.split("y").length - 1).toBe(200 * KiB);
    const emoji = sanitizeMailHtml(`${formattingReconstruction(16 * KiB, "i", "li")}<p>${"😀".repeat(200 * KiB)}`);
    expect(emoji.truncated).toBe(true);
    expect(emoji.html.length).toBeLessThanOrEqual(MAX_OUTPUT);
    const last = emoji.html.charCodeAt(emoji.html.length - 1);
    expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
  });
});

describe("stored signatures stay a fixed point", () => {
  it.each([
    ["a signature whose escaped output is longer than its input", "‹&".repeat(32 * KiB)],
    ["quotes in text past the reconstruction budget", '"<strike>'.repeat(1000)],
    ["a signature at the input bound", `<p>${"a&b ".repeat(16 * KiB)}</p>`],
  ])("%s", (_name, input) => {
    const once = sanitizeSignatureHtml(input);
    expect(once.length).toBeLessThanOrEqual(64 * KiB);
    expect(sanitizeSignatureHtml(once)).toBe(once);
  });
});
