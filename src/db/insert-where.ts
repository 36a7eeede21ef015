import { getTableColumns, type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Database } from "./client";

/**
 * An INSERT of `row` into `table` that only happens when `condition` holds, decided inside the statement
 * itself (`INSERT ... SELECT <values> WHERE <condition>`), so no concurrent request can slip in between a
 * check and the write. Values go through each column's driver mapping (JSON columns included), as
 * `.values()` would.
 */
export function insertWhere<T extends SQLiteTable>(db: Database, table: T, row: T["$inferInsert"], condition: SQL) {
  // Every column, in the order drizzle lists them in `INSERT INTO t (...)` (the tables this serves have no
  // generated columns, which drizzle would leave out).
  const values = Object.entries(getTableColumns(table)).map(([key, column]) =>
    sql.param((row as Record<string, unknown>)[key] ?? null, column),
  );
  return db.insert(table).select(sql`SELECT ${sql.join(values, sql`, `)} WHERE ${condition}`);
}
