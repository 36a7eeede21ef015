/**
 * What the bundle gets for parse5's `common/error-codes.js` (wrangler.toml `[alias]`): the same `ERR` codes
 * without their 60-entry table (~1 KiB gzip). parse5 only ever passes a code to its `onParseError` option,
 * which the sanitizer never sets, so the codes are never read; should they be, every one is what parse5's
 * table holds, the kebab-case of its name (`missingDoctype` -> "missing-doctype", true of all 60 entries in
 * parse5 8.1.1), worked out once per name.
 */
const codes: Record<string, string> = {};

export const ERR: Record<string, string> = new Proxy(codes, {
  get(target, name) {
    if (typeof name !== "string") return undefined;
    target[name] ??= name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    return target[name];
  },
});
