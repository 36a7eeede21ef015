import { describe, expect, it } from "vitest";
import { sanitizeSignatureHtml as sanitize } from "@/services/html-sanitizer";

const PNG =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

describe("sanitizeSignatureHtml: dangerous elements", () => {
  it.each([
    ["script", "<p>Hi</p><script>alert('x')</script><p>Bye</p>"],
    ["style", "<p>Hi</p><style>body { display: none }</style><p>Bye</p>"],
    ["iframe", '<p>Hi</p><iframe src="https://evil.example">fallback text</iframe><p>Bye</p>'],
    ["object", '<p>Hi</p><object data="https://evil.example/x.swf">fallback text</object><p>Bye</p>'],
    ["embed", '<p>Hi</p><embed src="https://evil.example/x.swf"><p>Bye</p>'],
  ])("removes <%s> together with its content", (tag, html) => {
    const out = sanitize(html);
    expect(out).toBe("<p>Hi</p><p>Bye</p>");
    expect(out.toLowerCase()).not.toContain(`<${tag}`);
    expect(out).not.toContain("alert");
    expect(out).not.toContain("display: none");
    expect(out).not.toContain("fallback text");
  });

  it("removes mixed-case and nested script tags", () => {
    const out = sanitize('<div>ok<ScRiPt type="text/javascript">steal()</sCrIpT></div>');
    expect(out).toBe("<div>ok</div>");
  });

  it.each([
    ["an unclosed <script>", "<p>Hi</p><script>alert(1)", "<p>Hi</p>"],
    ["an unclosed <style>", "<p>Hi</p><style>p { color: red }", "<p>Hi</p>"],
    ["a void <embed>", '<p>Hi</p><embed src="https://evil.example/x.swf"><p>Bye</p>', "<p>Hi</p><p>Bye</p>"],
    ["<script> inside <svg>", "<p>Hi</p><svg><script>alert(1)</script>text</svg><p>Bye</p>", "<p>Hi</p><p>Bye</p>"],
    ["nested <object>s", "<object><object>inner</object>outer</object><b>ok</b>", "<b>ok</b>"],
    ["a <script> at the very start", "<script>alert(1)</script><script>alert(2)</script>ok", "ok"],
    ["a stray closing tag", "ok</script><b>b</b>", "ok<b>b</b>"],
  ])("removes %s without leaving markers or its content behind", (_label, html, expected) => {
    const out = sanitize(html);
    expect(out).toBe(expected);
    expect(out).not.toContain("[removed]");
  });

  it("keeps user text that happens to say [removed]", () => {
    expect(sanitize("<p>[removed]</p>")).toBe("<p>[removed]</p>");
  });

  it("drops tags outside the allow list but keeps their text", () => {
    const out = sanitize('<form action="https://evil.example"><input value="x">Name</form>');
    expect(out).not.toMatch(/<form|<input/i);
    expect(out).toContain("Name");
  });

  it("drops HTML comments", () => {
    expect(sanitize("<p>a<!-- secret --></p>")).toBe("<p>a</p>");
  });
});

describe("sanitizeSignatureHtml: attributes", () => {
  it.each([
    ['<img src="https://cdn.example.com/x.png" onerror="alert(1)">', "onerror"],
    ['<a href="https://example.com" onclick="alert(1)">x</a>', "onclick"],
    ['<p onmouseover="alert(1)">x</p>', "onmouseover"],
    ["<div ONLOAD='alert(1)'>x</div>", "onload"],
  ])("removes event handlers from %s", (html, attr) => {
    const out = sanitize(html);
    expect(out.toLowerCase()).not.toContain(attr);
    expect(out).not.toContain("alert");
  });

  it("keeps the allowed attributes next to a removed handler", () => {
    expect(sanitize('<a href="https://example.com" onclick="alert(1)">x</a>')).toBe(
      '<a href="https://example.com">x</a>',
    );
  });

  it.each([
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JavaScript:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
  ])("removes the unsafe href of %j", (html) => {
    const out = sanitize(html);
    expect(out).toBe("<a href>x</a>");
  });

  it.each([
    '<img src="javascript:alert(1)">',
    '<img src="data:text/html,<script>alert(1)</script>">',
    '<img src="data:text/html;base64,PHNjcmlwdD4=">',
    '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
    '<img src="&#100;ata:image/svg+xml;base64,PHN2Zz4=">',
    '<img src="&#x64;ata:text/html,x">',
  ])("removes the unsafe src of %j", (html) => {
    const out = sanitize(html);
    expect(out).toMatch(/^<img src ?\/?>$/);
  });

  it("keeps a data:image/png src", () => {
    expect(sanitize(`<img src="${PNG}" alt="logo">`)).toBe(`<img src="${PNG}" alt="logo">`);
  });

  it("keeps inline styles", () => {
    expect(sanitize('<span style="color:#ff0000;font-weight:bold">red</span>')).toBe(
      '<span style="color:#ff0000; font-weight:bold;">red</span>',
    );
  });

  it("removes a javascript: url from a style", () => {
    const out = sanitize("<p style=\"background:url('javascript:alert(1)')\">x</p>");
    expect(out).not.toContain("javascript");
    expect(out).toContain(">x</p>");
  });
});

describe("sanitizeSignatureHtml: what a signature keeps", () => {
  it.each([
    "<b>bold</b> <i>it</i> <u>u</u> <strong>s</strong> <em>e</em>",
    "<p>Best regards,<br>Jane</p>",
    '<a href="https://example.com/path?q=1" target="_blank">site</a>',
    '<a href="mailto:jane@example.com">mail</a>',
    '<a href="tel:+491234">call</a>',
    '<img src="https://cdn.example.com/logo.png" alt="Logo" width="120" height="40">',
    '<table cellpadding="0" cellspacing="0"><tbody><tr><td width="80">A</td><td>B</td></tr></tbody></table>',
    "<ul><li>one</li></ul><ol><li>two</li></ol>",
    '<font color="#333333" face="Arial">x</font>',
    "<h1>Title</h1><hr><small>fine print</small>",
  ])("keeps %j unchanged", (html) => {
    expect(sanitize(html)).toBe(html);
  });

  it("leaves plain text alone", () => {
    expect(sanitize("Jane Doe - Sales")).toBe("Jane Doe - Sales");
  });

  it("is idempotent", () => {
    const html =
      '<p style="color:red">Hi <a href="https://example.com" onclick="x()">link</a><script>bad()</script></p>';
    const once = sanitize(html);
    expect(sanitize(once)).toBe(once);
  });
});

describe("sanitizeSignatureHtml: link schemes", () => {
  it.each([
    ['<a href="HTTPS://Example.com/x">x</a>', 'href="HTTPS://Example.com/x"'],
    ['<a href="MailTo:sales@example.com">x</a>', 'href="MailTo:sales@example.com"'],
    ['<a href="team/page.html">x</a>', 'href="team/page.html"'],
    ['<a href="?a=1&amp;b=2">x</a>', 'href="?a=1&amp;b=2"'],
  ])("keeps the safe link %s", (html, kept) => {
    expect(sanitize(html)).toContain(kept);
  });

  it.each([
    '<a href="JAVASCRIPT:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
  ])("drops the unsafe link %s", (html) => {
    const out = sanitize(html).toLowerCase();
    expect(out).not.toContain("script:");
    expect(out).not.toContain("data:");
    expect(out).toContain(">x</a>");
  });
});
