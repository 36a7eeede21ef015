import { type DefaultTreeAdapterTypes as Dom, parseFragment, serialize } from "parse5";

/**
 * `cid:` image URLs (RFC 2392) of a sanitized HTML body pointed at their attachments' download URLs. The
 * body is parsed as a browser would (parse5) and only `<img src>` values are changed, so no text that
 * merely reads "cid:" is touched. Content ids are compared without their angle brackets, case-insensitively.
 */

/** A content id as stored (`<logo@x>`) or as a cid: URL names it (`logo@x`, percent-encoded). */
export function normalizeContentId(value: string): string {
  let id = value.trim();
  try {
    id = decodeURIComponent(id);
  } catch {
    // keep it as written
  }
  return id.replace(/^<|>$/g, "").trim().toLowerCase();
}

const MAX_NODES = 200_000;

export function rewriteCidImages(html: string, urls: ReadonlyMap<string, string>): string {
  if (urls.size === 0 || !/cid:/i.test(html)) return html;
  const fragment = parseFragment(html);
  const stack: Dom.ParentNode[] = [fragment];
  let changed = false;
  for (let visited = 0; stack.length > 0 && visited < MAX_NODES; visited++) {
    const node = stack.pop() as Dom.ParentNode;
    if ("tagName" in node && node.tagName === "img") {
      for (const attr of node.attrs) {
        if (attr.name !== "src" || !/^\s*cid:/i.test(attr.value)) continue;
        const url = urls.get(normalizeContentId(attr.value.replace(/^\s*cid:/i, "")));
        if (url) {
          attr.value = url;
          changed = true;
        }
      }
    }
    const children = "content" in node && node.nodeName === "template" ? node.content.childNodes : node.childNodes;
    for (const child of children) if ("childNodes" in child) stack.push(child);
  }
  return changed ? serialize(fragment) : html;
}
