import { type Database, isUniqueViolation, nowIso } from "@/db/client";
import { badRequest } from "@/lib/errors";
import type { Services } from "@/lib/services";
import { DEFAULT_INBOX_ID } from "@/shared/default-inbox";
import { deleteAddressUnlessStatement, insertAddressStatement } from "./email-addresses.store";
import { addressTaken } from "./errors";
import { assertNotPlatformAddress } from "./platform-address";
import { assertReferencesExist, referencesExist } from "./references";
import { type EmailAddressView, toEmailAddressResponse } from "./response";

/** What a caller may set on a new address (the CreateEmailAddressPayload, validated). */
export interface NewEmailAddress {
  address: string;
  name?: string;
  user_ids?: string[];
  group_ids?: string[];
  default_signature_id?: string;
  shared_inbox_id?: string;
}

/**
 * Adds an address of the org's own (never one on the platform domain): active, not primary, in the given
 * shared inbox (default: the default inbox). 400 for an unknown inbox or signature, 409 for an address the
 * org already has.
 */
export async function addEmailAddress(
  services: Pick<Services, "db" | "config">,
  orgId: string,
  userId: string | undefined,
  input: NewEmailAddress,
): Promise<EmailAddressView> {
  assertNotPlatformAddress(services, input.address);
  const { db } = services;
  const refs = {
    sharedInboxId: input.shared_inbox_id ?? DEFAULT_INBOX_ID,
    defaultSignatureId: input.default_signature_id,
  };
  await assertReferencesExist(db, orgId, refs);
  try {
    return toEmailAddressResponse(await insertAddress(db, orgId, userId, input, refs.sharedInboxId));
  } catch (err) {
    if (isUniqueViolation(err)) throw addressTaken(input.address);
    throw err;
  }
}

async function insertAddress(
  db: Database,
  orgId: string,
  userId: string | undefined,
  input: NewEmailAddress,
  sharedInboxId: string,
) {
  const now = nowIso();
  const id = crypto.randomUUID();
  const insert = insertAddressStatement(db, {
    id,
    orgId,
    address: input.address,
    name: input.name,
    userIds: input.user_ids ?? [],
    groupIds: input.group_ids ?? [],
    defaultSignatureId: input.default_signature_id,
    sharedInboxId,
    isActive: true,
    isPrimary: false,
    isEpilotEmailAddress: false,
    createdAt: now,
    updatedAt: now,
    createdBy: userId,
    updatedBy: userId,
  });
  const refs = { sharedInboxId, defaultSignatureId: input.default_signature_id };
  const stillThere = referencesExist(db, orgId, refs);
  if (!stillThere) return insert.get();
  // The inbox or signature may have been deleted since the checks before: the insert is undone in
  // the same transaction when they are gone, so no address ever points at a deleted one.
  const [inserted, undone] = await db.batch([insert, deleteAddressUnlessStatement(db, orgId, id, stillThere)]);
  const row = inserted[0];
  if (undone.length > 0 || !row) {
    await assertReferencesExist(db, orgId, refs);
    throw badRequest(
      "shared_inbox_id, default_signature_id: the shared inbox or signature was deleted while the address was added",
    );
  }
  return row;
}
