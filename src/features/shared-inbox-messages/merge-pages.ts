import type { ListingKey } from "@/db/mailbox-object";

/**
 * One page of a shared inbox merged from several sources (the inbox's mailbox objects, and D1 for mail not
 * moved yet), each answering its own messages newest first by (sort time, id). Every source is asked for
 * the page size plus one below the cursor, so the merged page is exact and says whether more follow; a
 * message two sources both hold (while it moves from D1 into its object, with the same id) is served once.
 */

/** A listing position: the (sort time, id) of the last message served; sources answer strictly below it. */
export type { ListingKey };

export interface ListedRow {
  sortAt: string;
  id: string;
}

/** Answers up to `limit` of its messages below `after`, newest first by (sort time, id). */
export type PageSource<R extends ListedRow> = (limit: number, after: ListingKey | undefined) => Promise<R[]>;

/** Newest first: the later sort time, then the larger id (the order every source and the cursor use). */
export function newestFirst(a: ListedRow, b: ListedRow): number {
  if (a.sortAt !== b.sortAt) return a.sortAt < b.sortAt ? 1 : -1;
  if (a.id === b.id) return 0;
  return a.id < b.id ? 1 : -1;
}

/** The page of `limit` rows below `after` across `sources`, and whether another page follows. */
export async function mergePages<R extends ListedRow>(
  sources: PageSource<R>[],
  limit: number,
  after: ListingKey | undefined,
): Promise<{ rows: R[]; more: boolean }> {
  const answers = await Promise.all(sources.map((source) => source(limit + 1, after)));
  const merged: R[] = [];
  const seen = new Set<string>();
  for (const row of answers.flat().sort(newestFirst)) {
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    merged.push(row);
  }
  return { rows: merged.slice(0, limit), more: merged.length > limit };
}
