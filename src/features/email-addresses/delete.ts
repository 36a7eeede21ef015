import type { Services } from "@/lib/services";
import { deleteAddressStatements } from "./email-addresses.store";
import { addressNotFound } from "./errors";
import { findEmailAddress } from "./lookup";

/**
 * Deletes an address found by UUID or address; 404 when the org has none (also when a concurrent delete
 * got there first). Deleting the primary hands the role to the oldest remaining active address, in the
 * same transaction, so an org that has addresses never ends up without a primary by accident.
 */
export async function deleteEmailAddress(
  services: Pick<Services, "db">,
  orgId: string,
  idOrAddress: string,
): Promise<void> {
  const { db } = services;
  const existing = await findEmailAddress(db, orgId, idOrAddress);
  if (!existing) throw addressNotFound(idOrAddress);
  const [, , deleted] = await db.batch(deleteAddressStatements(db, orgId, existing.id));
  if (deleted.length === 0) throw addressNotFound(idOrAddress);
}
