import { drizzle } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import migrations from "./migrations";
import * as schema from "./schema";

/**
 * A mailbox object's database: drizzle over its SQLite storage with the schema brought up to date. The
 * object opens it once, inside `blockConcurrencyWhile` (no call runs before its migrations have), and this
 * module is `import()`ed then, so drizzle and the schema stay out of the Worker's startup.
 */
export async function openMailboxDb(storage: DurableObjectStorage) {
  const db = drizzle(storage, { schema });
  // Every pending migration in one transactionSync; a migration already applied is skipped.
  await migrate(db, migrations);
  return db;
}

export type MailboxDb = Awaited<ReturnType<typeof openMailboxDb>>;

/** Whom the object belongs to: set by its first write, checked by every call (a misrouted call fails). */
export function claimOwner(db: MailboxDb, owner: { orgId: string; mailbox: string }): void {
  const held = ownerOf(db);
  if (held === null) {
    db.$client.sql.exec(
      "INSERT INTO store_meta (key, value) VALUES ('org_id', ?1), ('mailbox', ?2)",
      owner.orgId,
      owner.mailbox,
    );
    return;
  }
  if (held.orgId !== owner.orgId || held.mailbox !== owner.mailbox) {
    throw new Error("This mailbox object belongs to another org or mailbox");
  }
}

/** Whom the object belongs to, if its first write recorded it. */
export function ownerOf(db: MailboxDb): { orgId: string; mailbox: string } | null {
  const rows = db.$client.sql
    .exec<{ key: string; value: string }>("SELECT key, value FROM store_meta WHERE key IN ('org_id', 'mailbox')")
    .toArray();
  const held = Object.fromEntries(rows.map((row) => [row.key, row.value]));
  return held.org_id !== undefined && held.mailbox !== undefined ? { orgId: held.org_id, mailbox: held.mailbox } : null;
}
