/**
 * Every statement on `email_addresses`: the lookups and the listing in creation order, the plain inserts and
 * updates, the writes whose conditions are decided inside the statement (primary hand-over on delete, primary
 * switch, provisioning), the addresses at a domain (the domain feature's delete) and the statements other
 * features batch with their own (a deleted signature or inbox). Org-scoped throughout, except the
 * platform-address holder lookup, which spans orgs.
 */
import { and, eq, ne, not, notExists, or, type SQL, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { type EmailAddressRow, emailAddresses } from "@/db/schema";
import { DEFAULT_INBOX_ID } from "@/shared/default-inbox";

/** Creation order; rowid breaks ties between rows created in the same millisecond. */
const creationOrder = [sql`${emailAddresses.createdAt}`, sql`rowid`];

/** The org's address rows in creation order. */
export function listAddressRows(db: Database, orgId: string): Promise<EmailAddressRow[]> {
  return db
    .select()
    .from(emailAddresses)
    .where(eq(emailAddresses.orgId, orgId))
    .orderBy(...creationOrder)
    .all();
}

/** One of the org's addresses whose id or address is either of the given values; undefined when missing. */
export function findAddressRow(db: Database, orgId: string, id: string, address: string) {
  return db
    .select()
    .from(emailAddresses)
    .where(and(eq(emailAddresses.orgId, orgId), or(eq(emailAddresses.id, id), eq(emailAddresses.address, address))))
    .get();
}

/** The insert of a new address, returning the stored row (run alone with `.get()` or in a batch). */
export function insertAddressStatement(db: Database, row: typeof emailAddresses.$inferInsert) {
  return db.insert(emailAddresses).values(row).returning();
}

/**
 * Deletes the address again unless `keep` holds, returning its id when it did: batched after its insert,
 * this undoes the insert inside the same transaction.
 */
export function deleteAddressUnlessStatement(db: Database, orgId: string, id: string, keep: SQL) {
  return db
    .delete(emailAddresses)
    .where(and(eq(emailAddresses.orgId, orgId), eq(emailAddresses.id, id), not(keep)))
    .returning({ id: emailAddresses.id });
}

/**
 * Sets the given columns of one address and answers the updated row; undefined when the row is gone or a
 * condition failed: `onlyIfNotPrimary` (the row must not hold the primary role) and `onlyIf`.
 */
export function updateAddressRow(
  db: Database,
  orgId: string,
  id: string,
  values: Partial<typeof emailAddresses.$inferInsert>,
  conditions: { onlyIfNotPrimary: boolean; onlyIf: SQL | undefined },
) {
  return db
    .update(emailAddresses)
    .set(values)
    .where(
      and(
        eq(emailAddresses.orgId, orgId),
        eq(emailAddresses.id, id),
        conditions.onlyIfNotPrimary ? eq(emailAddresses.isPrimary, false) : undefined,
        conditions.onlyIf,
      ),
    )
    .returning()
    .get();
}

/** Clears a (deleted) signature as the default of every address of the org that had it; for a batch. */
export function clearDefaultSignatureStatement(
  db: Database,
  orgId: string,
  signatureId: string,
  userId: string | undefined,
  now: string,
) {
  return db
    .update(emailAddresses)
    .set({ defaultSignatureId: null, updatedAt: now, updatedBy: userId })
    .where(and(eq(emailAddresses.orgId, orgId), eq(emailAddresses.defaultSignatureId, signatureId)));
}

/** Moves every address of the org in one shared inbox to another; for a batch (an inbox delete). */
export function moveAddressesToInboxStatement(
  db: Database,
  orgId: string,
  fromInboxId: string,
  toInboxId: string,
  userId: string | undefined,
  now: string,
) {
  return db
    .update(emailAddresses)
    .set({ sharedInboxId: toInboxId, updatedAt: now, updatedBy: userId })
    .where(and(eq(emailAddresses.orgId, orgId), eq(emailAddresses.sharedInboxId, fromInboxId)));
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

/**
 * The org's address of a connected mailbox, linked to its inbox: created, or the existing row relinked.
 * Returns the row; the mailbox feature runs it in the batch that stores the mapping.
 */
export function upsertMailboxAddress(
  db: Database,
  orgId: string,
  userId: string | undefined,
  email: string,
  inboxId: string,
  now: string,
) {
  return db
    .insert(emailAddresses)
    .values({
      id: crypto.randomUUID(),
      orgId,
      address: email,
      sharedInboxId: inboxId,
      createdAt: now,
      updatedAt: now,
      createdBy: userId ?? null,
      updatedBy: userId ?? null,
    })
    .onConflictDoUpdate({
      target: [emailAddresses.orgId, emailAddresses.address],
      set: { sharedInboxId: inboxId, updatedAt: now, updatedBy: userId ?? null },
    })
    .returning();
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
