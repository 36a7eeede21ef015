import { describe, expect, it } from "vitest";
import { sanitizeMailHtml } from "@/shared/html-sanitizer";
import { unsafeParts } from "../helpers/xss-oracle";

/** The email-grade policy: what imported mail keeps and loses. */
const clean = (html: string) => sanitizeMailHtml(html).html;
const LINK = 'target="_blank" rel="noopener noreferrer"';

describe("sanitizeMailHtml: what mail keeps", () => {
  it.each([
    '<table width="100%" border="0" cellpadding="4" cellspacing="0" bgcolor="#ffffff" align="center"><tbody><tr valign="top"><td width="50%" bgcolor="#eeeeee" colspan="2">A</td></tr></tbody></table>',
    '<table background="https://cdn.example/bg.jpg"><tbody><tr><td background="cid:bg@x">x</td></tr></tbody></table>',
    '<img src="cid:image001.png@01D9" alt="" width="200" height="50" border="0">',
    '<img src="https://cdn.example/a.png"><img src="http://cdn.example/b.gif">',
    '<img src="data:image/jpeg;base64,/9j/4AAQSkZJRg==">',
    '<font face="Calibri, sans-serif" size="3" color="#1f497d">Regards</font>',
    '<p style="margin:0;font-size:11pt;font-family:Calibri, sans-serif;color:#1F497D">Hi</p>',
    '<blockquote type="cite" style="border-left:2px solid #ccc;padding-left:8px">quoted</blockquote>',
    '<ul><li>one</li></ul><ol start="3"><li>three</li></ol><dl><dt>t</dt><dd>d</dd></dl>',
    '<hr width="100%" size="1" noshade=""><center>c</center><pre>  code\n</pre><wbr>',
  ])("keeps %s", (html) => {
    expect(clean(html)).toBe(html);
  });

  it("opens every link outside the app without referrer or opener, dropping the sender's target and rel", () => {
    expect(clean('<a href="https://shop.example/x" target="_self" rel="opener">x</a>')).toBe(
      `<a href="https://shop.example/x" ${LINK}>x</a>`,
    );
    expect(clean('<a href="mailto:a@example.com">m</a>')).toBe(`<a href="mailto:a@example.com" ${LINK}>m</a>`);
    expect(clean('<a name="top">anchor</a>')).toBe("<a>anchor</a>");
  });
});

describe("sanitizeMailHtml: what mail never keeps", () => {
  it.each([
    ["a script", "<script>alert(1)</script>ok", "ok"],
    ["a base", '<base href="https://evil.example/">ok', "ok"],
    ["a meta refresh", '<meta http-equiv="refresh" content="0;url=https://evil.example">ok', "ok"],
    ["a stylesheet link", '<link rel="stylesheet" href="https://evil.example/x.css">ok', "ok"],
    ["a style block", "<style>*{display:none}</style>ok", "ok"],
    ["an iframe", '<iframe src="https://evil.example" srcdoc="<script>x</script>">f</iframe>ok', "ok"],
    [
      "a form with controls",
      '<form action="https://evil.example"><input name="pw"><select><option>a</option></select><textarea>t</textarea><button>b</button></form>ok',
      "ok",
    ],
    ["event handlers", '<div onclick="x()" onmouseover="y()">ok</div>', "<div>ok</div>"],
    ["a javascript: link", '<a href="jav&#x09;ascript:alert(1)">ok</a>', "<a>ok</a>"],
    ["a data: link", '<a href="data:text/html,<script>x</script>">ok</a>', "<a>ok</a>"],
    ["a relative link (it would resolve against the app)", '<a href="/v2/email-settings">ok</a>', "<a>ok</a>"],
    ["a fragment link", '<a href="#top">ok</a>', "<a>ok</a>"],
    ["an svg image", '<img src="data:image/svg+xml;base64,PHN2Zz4=">', "<img>"],
    ["a relative image", '<img src="/api/logout">', "<img>"],
    [
      "a javascript: background",
      '<table background="javascript:alert(1)"><tbody><tr><td>x</td></tr></tbody></table>',
      "<table><tbody><tr><td>x</td></tr></tbody></table>",
    ],
    ["ids, names and classes (clobbering, app styles)", '<p id="x" class="fixed inset-0" name="y">ok</p>', "<p>ok</p>"],
    [
      "positioning styles",
      '<div style="position:fixed;top:0;left:0;z-index:99;color:red">ok</div>',
      '<div style="color:red">ok</div>',
    ],
    [
      "a css url with a relative or data URL",
      '<div style="background:url(/x.png);background-image:url(data:image/png;base64,AA)">ok</div>',
      "<div>ok</div>",
    ],
    ["svg and math", '<svg><a href="javascript:x"><text>s</text></a></svg><math><mi>m</mi></math>ok', "ok"],
    ["object, embed, applet", '<object data="x"></object><embed src="x"><applet code="x"></applet>ok', "ok"],
    ["comments and conditional comments", "<!--[if mso]><v:rect/><![endif]-->ok<!-- x -->", "ok"],
  ])("removes %s", (_label, html, expected) => {
    const out = clean(html);
    expect(out).toBe(expected);
    expect(unsafeParts(out)).toEqual([]);
  });

  it("reports a body cut at its bound as truncated, its output within 256 KiB", () => {
    expect(sanitizeMailHtml("<p>short</p>").truncated).toBe(false);
    const long = sanitizeMailHtml(`<p>${"x".repeat(300 * 1024)}</p>`);
    expect(long.truncated).toBe(true);
    expect(long.html).toBe(`<p>${"x".repeat(256 * 1024 - 7)}</p>`);
  });
});
