import { nowIso } from "@/db/client";
import type { Services } from "@/lib/services";
import { updateAddressRow } from "./email-addresses.store";
import { addressNotFound, primaryCannotBeDeactivated } from "./errors";
import { findEmailAddress } from "./lookup";
import { assertReferencesExist, referencesExist } from "./references";
import { type EmailAddressView, toEmailAddressResponse } from "./response";

/** The fields a caller may change (the UpdateEmailAddressPayload, validated); absent ones stay. */
export interface EmailAddressChanges {
  name?: string;
  user_ids?: string[];
  group_ids?: string[];
  /** null clears the default signature. */
  default_signature_id?: string | null;
  shared_inbox_id?: string;
  is_active?: boolean;
}

/**
 * Changes the given fields of an address found by UUID or address. 404 when the org has no such address,
 * 400 for an unknown inbox or signature, 409 when it would deactivate the primary address.
 */
export async function updateEmailAddress(
  services: Pick<Services, "db">,
  orgId: string,
  userId: string | undefined,
  idOrAddress: string,
  changes: EmailAddressChanges,
): Promise<EmailAddressView> {
  const { db } = services;
  const existing = await findEmailAddress(db, orgId, idOrAddress);
  if (!existing) throw addressNotFound(idOrAddress);
  const refs = { sharedInboxId: changes.shared_inbox_id, defaultSignatureId: changes.default_signature_id };
  await assertReferencesExist(db, orgId, refs);
  const deactivating = changes.is_active === false;
  if (deactivating && existing.isPrimary) throw primaryCannotBeDeactivated(existing.address);

  const values = {
    ...(changes.name !== undefined && { name: changes.name }),
    ...(changes.user_ids !== undefined && { userIds: changes.user_ids }),
    ...(changes.group_ids !== undefined && { groupIds: changes.group_ids }),
    ...(changes.default_signature_id !== undefined && { defaultSignatureId: changes.default_signature_id }),
    ...(changes.shared_inbox_id !== undefined && { sharedInboxId: changes.shared_inbox_id }),
    ...(changes.is_active !== undefined && { isActive: changes.is_active }),
    updatedAt: nowIso(),
    updatedBy: userId,
  };
  // Re-checked in the statement itself: a concurrent primary switch cannot leave an inactive
  // primary, and a concurrent delete of the inbox or signature cannot leave a dangling reference.
  const updated = await updateAddressRow(db, orgId, existing.id, values, {
    onlyIfNotPrimary: deactivating,
    onlyIf: referencesExist(db, orgId, refs),
  });
  if (!updated) {
    const current = await findEmailAddress(db, orgId, existing.id);
    if (!current) throw addressNotFound(idOrAddress);
    await assertReferencesExist(db, orgId, refs);
    throw primaryCannotBeDeactivated(current.address);
  }
  return toEmailAddressResponse(updated);
}
