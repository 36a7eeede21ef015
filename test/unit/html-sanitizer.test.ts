import { describe, expect, it } from "vitest";
import { sanitizeSignatureHtml as sanitize } from "@/shared/html-sanitizer";

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
    expect(sanitize('<article data-x="1"><x-card>Name</x-card> <label for="a">Role</label></article>')).toBe(
      "Name Role",
    );
  });

  it("removes forms and form controls together with their content", () => {
    const out = sanitize('<p>a</p><form action="https://evil.example"><input value="x">Name<button>Go</button></form>');
    expect(out).toBe("<p>a</p>");
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
    expect(out).toBe("<a>x</a>");
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
    expect(out).toBe("<img>");
  });

  it("keeps a data:image/png src", () => {
    expect(sanitize(`<img src="${PNG}" alt="logo">`)).toBe(`<img src="${PNG}" alt="logo">`);
  });

  it("keeps inline styles", () => {
    expect(sanitize('<span style="color:#ff0000;font-weight:bold">red</span>')).toBe(
      '<span style="color:#ff0000;font-weight:bold">red</span>',
    );
  });

  it("removes a javascript: url from a style", () => {
    const out = sanitize("<p style=\"color:red;background:url('javascript:alert(1)')\">x</p>");
    expect(out).toBe('<p style="color:red">x</p>');
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

describe("sanitizeSignatureHtml: URLs as a browser reads them", () => {
  it.each([
    // Named character references decode to tab/newline/colon in the attribute value.
    '<a href="java&Tab;script:alert(1)">x</a>',
    '<a href="java&NewLine;script:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="&Tab;javascript:alert(1)">x</a>',
    // Legacy references without a semicolon and mixed case.
    '<a href="&#106avascript:alert(1)">x</a>',
    '<a href="&#X6A;avascript:alert(1)">x</a>',
    '<a href="&#0000106;avascript:alert(1)">x</a>',
    // Leading C0 controls and spaces are stripped by the URL parser.
    '<a href="&#1;&#2; javascript:alert(1)">x</a>',
    '<a href="\u0001javascript:alert(1)">x</a>',
    // Tab, LF and CR anywhere.
    '<a href="j&#x0D;a&#x0A;v&#x09;ascript:alert(1)">x</a>',
    "<a href=javascript:alert(1)>x</a>",
    "<a href='vbscript:msgbox(1)'>x</a>",
    '<a href="data&colon;text/html,<script>alert(1)</script>">x</a>',
  ])("drops the href of %j", (html) => {
    expect(sanitize(html)).toBe("<a>x</a>");
  });

  it("escapes a double-encoded reference instead of decoding it twice", () => {
    // `&#38;#106;` is the text `&#106;`: a browser reads the href as a relative URL, and so does the
    // output, where the `&` is escaped again (it used to be emitted raw and read as `j` next time).
    const out = sanitize('<a href="&#38;#106;avascript:alert(1)">x</a>');
    expect(out).toBe('<a href="&amp;#106;avascript:alert(1)">x</a>');
    expect(sanitize(out)).toBe(out);
  });

  it("refuses a colon after something that is no scheme", () => {
    expect(sanitize('<a href="java\u00adscript:alert(1)">x</a>')).toBe("<a>x</a>");
    expect(sanitize('<a href="java&#0;script:alert(1)">x</a>')).toBe("<a>x</a>");
  });

  it("escapes every attribute value and text in the output", () => {
    const out = sanitize('<a title="&quot;&gt;&lt;script&gt;" href="https://e.example/?a=1&b=&quot;2">&lt;b&gt;</a>');
    expect(out).toBe('<a title="&quot;&gt;&lt;script&gt;" href="https://e.example/?a=1&amp;b=&quot;2">&lt;b&gt;</a>');
  });
});

describe("sanitizeSignatureHtml: inline styles", () => {
  it.each([
    ["expression()", "color:red;width:expression(alert(1))", "color:red"],
    ["an escaped expression", "color:red;width:\\65 xpression(alert(1))", "color:red"],
    ["a comment inside a word", "color:red;width:exp/**/ression(alert(1))", "color:red"],
    ["behavior", "behavior:url(x.htc);color:red", "color:red"],
    ["-moz-binding", "-moz-binding:url(https://e.example/x.xml#x);color:red", "color:red"],
    ["an escaped javascript url", "color:red;background:url(java\\73 cript:alert(1))", "color:red"],
    ["a relative url", "color:red;background-image:url(/x.png)", "color:red"],
    ["a data url", "color:red;background-image:url(data:image/png;base64,AAAA)", "color:red"],
    ["@import", "@import 'https://e.example/x.css';color:red", "color:red"],
    ["everything", "@import 'https://e.example/x.css'", null],
    ["positioning", "position:fixed;top:0;z-index:9999;color:red", "color:red"],
    ["an unknown function", "color:red;background:image-set('x.png' 1x)", "color:red"],
    ["an unterminated string", "color:red;font-family:'Arial", "color:red"],
  ])("drops %s", (_label, style, kept) => {
    const out = sanitize(`<p style="${style.replace(/"/g, "&quot;")}">x</p>`);
    expect(out).toBe(kept === null ? "<p>x</p>" : `<p style="${kept}">x</p>`);
  });

  it("keeps https background images, quoted fonts and !important", () => {
    const style =
      "background:url('https://cdn.example.com/bg.png') no-repeat;font-family:\"Segoe UI\", Arial;color:#333 !important";
    const out = sanitize(`<table><tr><td style="${style.replace(/"/g, "&quot;")}">x</td></tr></table>`);
    expect(out).toBe(
      `<table><tbody><tr><td style="background:url('https://cdn.example.com/bg.png') no-repeat;font-family:&quot;Segoe UI&quot;, Arial;color:#333 !important">x</td></tr></tbody></table>`,
    );
  });

  it("writes CSS escapes out as the characters they stand for", () => {
    expect(sanitize('<span style="font-family:\\5FAE\\8F6F\\96C5\\9ED1">x</span>')).toBe(
      '<span style="font-family:微软雅黑">x</span>',
    );
  });
});
