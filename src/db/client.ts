import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Database = ReturnType<typeof getDb>;

export function getDb(d1: D1Database) {
  return drizzle(d1, { schema });
}

/** The current time as the ISO-8601 string every timestamp column holds. */
export const nowIso = () => new Date().toISOString();

/**
 * True when a statement failed on a UNIQUE constraint (or primary key). D1 reports these as
 * "UNIQUE constraint failed: table.col, ..." and drizzle wraps the D1 error as `cause`.
 * Passing `columns` narrows the check to one index, e.g. "email_addresses.address".
 */
export function isUniqueViolation(err: unknown, columns?: string): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const message = e instanceof Error ? e.message : String(e);
    const match = /UNIQUE constraint failed: ([^:]+?)(?::\s*SQLITE_CONSTRAINT.*)?$/m.exec(message);
    if (match?.[1]) {
      return columns === undefined || match[1].trim() === columns;
    }
  }
  return false;
}
