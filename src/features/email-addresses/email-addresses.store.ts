/**
 * The statements of `email_addresses` that need more than the query builder: the listing in creation order
 * and the writes whose conditions are decided inside the statement (primary hand-over on delete, primary
 * switch, provisioning) and the addresses at a domain (the domain feature's delete). Org-scoped throughout,
 * except the platform-address holder lookup, which spans orgs.
 */
import { and, eq, ne, not, notExists, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { type EmailAddressRow, emailAddresses } from "@/db/schema";
import { DEFAULT_INBOX_ID } from "@/shared/default-inbox";

/** Creation order; rowid breaks ties between rows created in the same millisecond. */
const creationOrder = [sql`${emailAddresses.createdAt}`, sql`rowid`];

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

/** The org's address rows in creation order. */
export function listAddressRows(db: Database, orgId: string): Promise<EmailAddressRow[]> {
  let query = listQueries.get(db);
  if (!query) {
    query = prepareList(db);
    listQueries.set(db, query);
  }
  return query.all({ orgId });
}

/** The org that holds a provisioned platform address, if any (only whether and who, nothing else). */
export function findPlatformAddressHolder(db: Database, address: string) {
  return db
    .select({ orgId: emailAddresses.orgId })
    .from(emailAddresses)
    .where(and(eq(emailAddresses.address, address), eq(emailAddresses.isEpilotEmailAddress, true)))
    .get();
}

/** The org's addresses at exactly `domain` (not its subdomains). */
const atDomain = (orgId: string, domain: string) =>
  and(
    eq(emailAddresses.orgId, orgId),
    sql`substr(${emailAddresses.address}, instr(${emailAddresses.address}, '@') + 1) = ${domain}`,
  );

/** The org's addresses at exactly `domain`, by address. */
export function addressesAtDomain(db: Database, orgId: string, domain: string) {
  return db
    .select({ address: emailAddresses.address })
    .from(emailAddresses)
    .where(atDomain(orgId, domain))
    .orderBy(emailAddresses.address)
    .all();
}

/**
 * The condition "the org has no address at exactly `domain`", for a statement of another table (the domain
 * delete puts it in its statements, so an address created meanwhile still blocks the delete).
 */
export function noAddressAtDomain(db: Database, orgId: string, domain: string) {
  return notExists(db.select({ one: sql`1` }).from(emailAddresses).where(atDomain(orgId, domain)));
}

/**
 * The statements that delete an address in one batch, handing the primary role to the oldest remaining
 * active address when the deleted one held it. Whether it held it is decided inside the transaction,
 * not from an earlier read (a concurrent delete may have promoted it meanwhile): the first statement
 * clears its primary flag, so another address can take the role, and parks the old flag in is_active,
 * which the second statement reads; the third deletes the row, so the parked value is never visible.
 * The last statement returns the deleted id. The mailbox feature runs them when a mailbox goes.
 */
export function deleteAddressStatements(db: Database, orgId: string, id: string) {
  const row = and(eq(emailAddresses.orgId, orgId), eq(emailAddresses.id, id));
  return [
    db
      .update(emailAddresses)
      .set({ isActive: sql`${emailAddresses.isPrimary}`, isPrimary: false })
      .where(row),
    db
      .update(emailAddresses)
      .set({ isPrimary: true })
      .where(
        and(
          eq(emailAddresses.orgId, orgId),
          eq(
            emailAddresses.id,
            sql`(SELECT id FROM email_addresses WHERE org_id = ${orgId} AND id <> ${id} AND is_active = 1 ORDER BY created_at, rowid LIMIT 1)`,
          ),
          sql`EXISTS (SELECT 1 FROM email_addresses WHERE org_id = ${orgId} AND id = ${id} AND is_active = 1)`,
          sql`NOT EXISTS (SELECT 1 FROM email_addresses WHERE org_id = ${orgId} AND is_primary = 1)`,
        ),
      ),
    db.delete(emailAddresses).where(row).returning({ id: emailAddresses.id }),
  ] as const;
}

/**
 * Both statements are conditional on the target still being active, and run in one D1 transaction:
 * the old primary is unset only if the new one is set, so there is always exactly one primary; the
 * partial unique index rejects any interleaving that would make two. Undefined when the target was
 * deactivated or deleted meanwhile.
 */
export async function switchPrimary(
  db: Database,
  orgId: string,
  userId: string | undefined,
  target: EmailAddressRow,
  now: string,
): Promise<EmailAddressRow | undefined> {
  const targetIsActive = sql`EXISTS (SELECT 1 FROM email_addresses WHERE org_id = ${orgId} AND id = ${target.id} AND is_active = 1)`;
  const [, promoted] = await db.batch([
    db
      .update(emailAddresses)
      .set({ isPrimary: false, updatedAt: now, updatedBy: userId })
      .where(
        and(
          eq(emailAddresses.orgId, orgId),
          eq(emailAddresses.isPrimary, true),
          ne(emailAddresses.id, target.id),
          targetIsActive,
        ),
      ),
    db
      .update(emailAddresses)
      .set({ isPrimary: true, updatedAt: now, updatedBy: userId })
      .where(and(eq(emailAddresses.orgId, orgId), eq(emailAddresses.id, target.id), eq(emailAddresses.isActive, true)))
      .returning(),
  ]);
  return promoted[0];
}

/** Upserts the address, retires the org's other platform addresses and hands over the primary role, in one batch. */
export async function provisionStatements(
  db: Database,
  orgId: string,
  userId: string | undefined,
  address: string,
  now: string,
): Promise<EmailAddressRow> {
  const otherPlatformAddresses = and(
    eq(emailAddresses.orgId, orgId),
    eq(emailAddresses.isEpilotEmailAddress, true),
    ne(emailAddresses.address, address),
  );
  // When the primary was one of the platform addresses being retired, the new one takes over.
  const primaryWasRetired = await db
    .select({ id: emailAddresses.id })
    .from(emailAddresses)
    .where(and(otherPlatformAddresses, eq(emailAddresses.isPrimary, true)))
    .get();
  const thisAddress = and(eq(emailAddresses.orgId, orgId), eq(emailAddresses.address, address));
  const results = await db.batch([
    upsertPlatformAddress(db, orgId, userId, address, now),
    db
      .update(emailAddresses)
      .set({ isActive: false, isPrimary: false, updatedAt: now, updatedBy: userId })
      .where(and(otherPlatformAddresses, eq(emailAddresses.isActive, true))),
    db
      .update(emailAddresses)
      .set({ isPrimary: true })
      .where(
        and(
          thisAddress,
          sql`${primaryWasRetired ? 1 : 0} = 1`,
          not(sql`EXISTS (SELECT 1 FROM email_addresses WHERE org_id = ${orgId} AND is_primary = 1)`),
        ),
      ),
    db.select().from(emailAddresses).where(thisAddress),
  ]);
  const row = results[3][0];
  if (!row) throw new Error("provisioned address was not found after the write");
  return row;
}

function upsertPlatformAddress(db: Database, orgId: string, userId: string | undefined, address: string, now: string) {
  return db
    .insert(emailAddresses)
    .values({
      id: crypto.randomUUID(),
      orgId,
      address,
      isActive: true,
      isPrimary: false,
      isEpilotEmailAddress: true,
      sharedInboxId: DEFAULT_INBOX_ID,
      userIds: [],
      groupIds: [],
      createdAt: now,
      updatedAt: now,
      createdBy: userId,
      updatedBy: userId,
    })
    .onConflictDoUpdate({
      target: [emailAddresses.orgId, emailAddresses.address],
      set: { isActive: true, isEpilotEmailAddress: true, updatedAt: now, updatedBy: userId },
    });
}
