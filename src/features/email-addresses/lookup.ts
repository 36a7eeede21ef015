import { and, eq, or, sql } from "drizzle-orm";
import { type Database, getDb } from "@/db/client";
import { emailAddresses } from "@/db/schema";
import type { AppEnv } from "@/lib/types";
import { canonicalEmailAddress } from "@/shared/validation";
import { addressNotFound } from "./errors";
import { type EmailAddressView, toEmailAddressResponse } from "./response";

/** Creation order; rowid breaks ties between rows created in the same millisecond. */
export const creationOrder = [sql`${emailAddresses.createdAt}`, sql`rowid`];

/**
 * Looks an address up by its UUID or by the address itself within one org; the address in any spelling
 * with the same canonical form (letter case, a trailing dot, IDN), as that is what is stored.
 */
export async function findEmailAddress(db: Database, orgId: string, idOrAddress: string) {
  const id = idOrAddress.trim().toLowerCase();
  const address = canonicalEmailAddress(idOrAddress) ?? id;
  return db
    .select()
    .from(emailAddresses)
    .where(and(eq(emailAddresses.orgId, orgId), or(eq(emailAddresses.id, id), eq(emailAddresses.address, address))))
    .get();
}

/** The list query, built once per database (drizzle's query building costs about as much as a D1 read). */
const listQueries = new WeakMap<Database, ReturnType<typeof prepareList>>();

function prepareList(db: Database) {
  return db
    .select()
    .from(emailAddresses)
    .where(eq(emailAddresses.orgId, sql.placeholder("orgId")))
    .orderBy(...creationOrder)
    .prepare();
}

/** The org's addresses in creation order. */
export async function listEmailAddresses(env: AppEnv, orgId: string): Promise<EmailAddressView[]> {
  const db = getDb(env.DB);
  let query = listQueries.get(db);
  if (!query) {
    query = prepareList(db);
    listQueries.set(db, query);
  }
  const rows = await query.all({ orgId });
  return rows.map(toEmailAddressResponse);
}

/** One of the org's addresses by UUID or address; 404 when the org has no such address. */
export async function getEmailAddress(env: AppEnv, orgId: string, idOrAddress: string): Promise<EmailAddressView> {
  const row = await findEmailAddress(getDb(env.DB), orgId, idOrAddress);
  if (!row) throw addressNotFound(idOrAddress);
  return toEmailAddressResponse(row);
}
