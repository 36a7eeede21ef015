/** Keeps one statement's JSON parameter well below D1's statement and value limits. */
const MAX_CHUNK_CHARS = 400_000;
const MAX_CHUNK_ROWS = 100;

/**
 * Rows as JSON arrays for `json_each` statements: at most 100 rows and about 400,000 characters each, so
 * a page of any size becomes a few statements with one bound parameter apiece.
 */
export function jsonChunks<T>(rows: T[]): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const row of rows) {
    const json = JSON.stringify(row);
    if (current.length > 0 && (current.length >= MAX_CHUNK_ROWS || size + json.length > MAX_CHUNK_CHARS)) {
      out.push(`[${current.join(",")}]`);
      current = [];
      size = 0;
    }
    current.push(json);
    size += json.length + 1;
  }
  if (current.length > 0) out.push(`[${current.join(",")}]`);
  return out;
}
