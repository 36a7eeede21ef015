import { and, eq, sql } from "drizzle-orm";
import { type Database, getDb } from "@/db/client";
import { emailAddresses } from "@/db/schema";
import type { AppEnv } from "@/lib/types";
import { addressNotFound } from "./errors";
import { findEmailAddress } from "./lookup";

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
 * Deletes an address found by UUID or address; 404 when the org has none (also when a concurrent delete
 * got there first). Deleting the primary hands the role to the oldest remaining active address, in the
 * same transaction, so an org that has addresses never ends up without a primary by accident.
 */
export async function deleteEmailAddress(env: AppEnv, orgId: string, idOrAddress: string): Promise<void> {
  const db = getDb(env.DB);
  const existing = await findEmailAddress(db, orgId, idOrAddress);
  if (!existing) throw addressNotFound(idOrAddress);
  const [, , deleted] = await db.batch(deleteAddressStatements(db, orgId, existing.id));
  if (deleted.length === 0) throw addressNotFound(idOrAddress);
}
