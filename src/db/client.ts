import { drizzle } from "drizzle-orm/d1";

// No relational schema: the stores use the query builder only, and without one drizzle builds an instance in
// microseconds (a schema walk costs ~80 µs), so each request can have its own over its D1 session.
const create = (d1: D1Database) => drizzle(d1);

export type Database = ReturnType<typeof create>;

/** One drizzle instance per D1 binding or request session. */
const instances = new WeakMap<D1Database, Database>();

export function getDb(d1: D1Database): Database {
  let db = instances.get(d1);
  if (!db) {
    db = create(d1);
    instances.set(d1, db);
  }
  return db;
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
