/**
 * What the bundle gets for the two PostgreSQL modules drizzle-orm's dialect-neutral code imports
 * (wrangler.toml `[alias]`): `sql/sql.js` imports `isPgEnum` from `pg-core/columns/enum.js` and
 * `relations.js` imports `PrimaryKeyBuilder` from `pg-core/primary-keys.js`, and those two pull in
 * pg-core's column base, table, foreign keys and array helpers (~6 KiB raw). This SQLite Worker only ever
 * asks "is this a pg enum / a pg primary key builder?", always "no"; both answers here are computed exactly as
 * drizzle computes them (the same symbol, the same entity kind), so nothing changes.
 */
import { entityKind } from "drizzle-orm/entity";

const isPgEnumSym = Symbol.for("drizzle:isPgEnum");

/** drizzle-orm's own test (pg-core/columns/enum.js). */
export function isPgEnum(obj: unknown): boolean {
  return (
    !!obj && typeof obj === "function" && isPgEnumSym in obj && (obj as Record<symbol, unknown>)[isPgEnumSym] === true
  );
}

/** Carries drizzle's entity kind, so `is(x, PrimaryKeyBuilder)` answers as for drizzle's class. */
// biome-ignore lint/complexity/noStaticOnlyClass: drizzle's `is()` takes a class that carries the entity kind.
export class PrimaryKeyBuilder {
  static readonly [entityKind] = "PgPrimaryKeyBuilder";
}
