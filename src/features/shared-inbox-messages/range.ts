/**
 * One HTTP byte range (RFC 9110 §14): `bytes=a-b`, `bytes=a-` or `bytes=-n`. Several ranges, another unit
 * or a malformed header are ignored (the whole object is served, as the RFC allows); a range that starts
 * past the end is unsatisfiable (416).
 */

export type RangeResult =
  | { kind: "whole" }
  | { kind: "range"; offset: number; length: number }
  | { kind: "unsatisfiable" };

const MAX_HEADER_CHARS = 200;

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header || header.length > MAX_HEADER_CHARS) return { kind: "whole" };
  // Whitespace is allowed around the tokens; dropping it first keeps the match linear.
  const match = /^bytes=(\d{0,16})-(\d{0,16})$/i.exec(header.replace(/\s+/g, ""));
  if (!match) return { kind: "whole" };
  const [, first, last] = match as unknown as [string, string, string];
  if (first === "" && last === "") return { kind: "whole" };
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0) return { kind: "unsatisfiable" };
    const length = Math.min(suffix, size);
    return size === 0 ? { kind: "unsatisfiable" } : { kind: "range", offset: size - length, length };
  }
  const offset = Number(first);
  if (offset >= size) return { kind: "unsatisfiable" };
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (end < offset) return { kind: "whole" };
  return { kind: "range", offset, length: end - offset + 1 };
}
