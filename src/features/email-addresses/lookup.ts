import type { Database } from "@/db/client";
import type { Services } from "@/lib/services";
import { canonicalEmailAddress } from "@/shared/validation";
import { findAddressRow, listAddressRows } from "./email-addresses.store";
import { addressNotFound } from "./errors";
import { type EmailAddressView, toEmailAddressResponse } from "./response";

/**
 * Looks an address up by its UUID or by the address itself within one org; the address in any spelling
 * with the same canonical form (letter case, a trailing dot, IDN), as that is what is stored.
 */
export async function findEmailAddress(db: Database, orgId: string, idOrAddress: string) {
  const id = idOrAddress.trim().toLowerCase();
  const address = canonicalEmailAddress(idOrAddress) ?? id;
  return findAddressRow(db, orgId, id, address);
}

/** The org's addresses in creation order. */
export async function listEmailAddresses(services: Pick<Services, "db">, orgId: string): Promise<EmailAddressView[]> {
  const rows = await listAddressRows(services.db, orgId);
  return rows.map(toEmailAddressResponse);
}

/** One of the org's addresses by UUID or address; 404 when the org has no such address. */
export async function getEmailAddress(
  services: Pick<Services, "db">,
  orgId: string,
  idOrAddress: string,
): Promise<EmailAddressView> {
  const row = await findEmailAddress(services.db, orgId, idOrAddress);
  if (!row) throw addressNotFound(idOrAddress);
  return toEmailAddressResponse(row);
}
