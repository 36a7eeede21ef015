import { describe, expect, it } from "vitest";
import { sanitizeMailHtml, sanitizeSignatureHtml } from "@/shared/html-sanitizer";

/** The sanitizer's bounds: cost stays bounded whatever the input. */
const count = (html: string, tag: string) => html.split(`<${tag}>`).length - 1;

describe("sanitizer bounds", () => {
  it('handles "<p " + "x ".repeat(20000) + ">" and attribute floods', () => {
    expect(sanitizeSignatureHtml(`<p ${"x ".repeat(20000)}>`)).toBe("<p></p>");
    const distinct = Array.from({ length: 20000 }, (_, i) => `a${i}`).join(" ");
    expect(sanitizeMailHtml(`<p ${distinct} title="late">x</p>`).html).toBe("<p>x</p>");
  });

  it("considers the first 64 attributes of an element only", () => {
    const filler = Array.from({ length: 63 }, (_, i) => `data-f${i}`).join(" ");
    expect(sanitizeSignatureHtml(`<p ${filler} title="64th">x</p>`)).toBe('<p title="64th">x</p>');
    expect(sanitizeSignatureHtml(`<p ${filler} data-x title="65th">x</p>`)).toBe("<p>x</p>");
  });

  it("flattens nesting deeper than the bound, keeping the text, and stays stable", () => {
    const deep = `${"<div>".repeat(10_000)}inner${"</div>".repeat(10_000)}`;
    const signature = sanitizeSignatureHtml(deep);
    expect(count(signature, "div")).toBe(64);
    expect(signature).toContain("inner");
    expect(sanitizeSignatureHtml(signature)).toBe(signature);
    const mail = sanitizeMailHtml(deep).html;
    expect(count(mail, "div")).toBe(128);
    expect(mail).toContain("inner");
  });

  it("stops after its node bound and says the body was cut", () => {
    const result = sanitizeMailHtml("<br>".repeat(60_000));
    expect(result.truncated).toBe(true);
    expect(count(result.html, "br")).toBe(50_000);
  });

  it("cuts input past its bound without splitting a character", () => {
    const signature = sanitizeSignatureHtml(`${"a".repeat(64 * 1024 - 1)}😀`);
    expect(signature).toBe("a".repeat(64 * 1024 - 1));
    const mail = sanitizeMailHtml(`${"b".repeat(256 * 1024 - 1)}😀 tail`);
    expect(mail).toEqual({ html: "b".repeat(256 * 1024 - 1), truncated: true, simplified: false });
  });

  it("drops a style attribute longer than its bound", () => {
    const long = "color:red;".repeat(1000);
    expect(sanitizeSignatureHtml(`<p style="${long}">x</p>`)).toBe("<p>x</p>");
    expect(sanitizeSignatureHtml(`<p style="${long.slice(0, 8000)}">x</p>`)).toContain('style="color:red;color:red');
  });
});
