import { nowIso } from "@/db/client";
import type { Services } from "@/lib/services";
import { switchPrimary } from "./email-addresses.store";
import { addressNotFound, inactiveCannotBePrimary } from "./errors";
import { findEmailAddress } from "./lookup";
import { type EmailAddressView, toEmailAddressResponse } from "./response";

/**
 * Makes an active address (found by UUID or address) the org's one primary address and unsets the
 * previous one. 404 when the org has no such address, 409 when it is inactive; idempotent.
 */
export async function setEmailAddressPrimary(
  services: Pick<Services, "db">,
  orgId: string,
  userId: string | undefined,
  idOrAddress: string,
): Promise<EmailAddressView> {
  const { db } = services;
  const target = await findEmailAddress(db, orgId, idOrAddress);
  if (!target) throw addressNotFound(idOrAddress);
  if (!target.isActive) throw inactiveCannotBePrimary(target.address);
  if (target.isPrimary) return toEmailAddressResponse(target);
  const promoted = await switchPrimary(db, orgId, userId, target, nowIso());
  if (!promoted) {
    const current = await findEmailAddress(db, orgId, target.id);
    if (!current) throw addressNotFound(idOrAddress);
    throw inactiveCannotBePrimary(current.address);
  }
  return toEmailAddressResponse(promoted);
}
