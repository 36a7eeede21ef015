import { and, exists, type SQL } from "drizzle-orm";
import type { Database } from "@/db/client";
import { signatureIdQuery } from "@/db/stores/settings.store";
import { inboxIdQuery } from "@/db/stores/shared-inboxes.store";
import { badRequest } from "@/lib/errors";
import { DEFAULT_INBOX_ID } from "@/shared/default-inbox";

/** The shared inbox and signature an address points at (undefined: not part of this write). */
export interface AddressReferences {
  sharedInboxId?: string;
  defaultSignatureId?: string | null;
}

export async function assertSharedInboxExists(db: Database, orgId: string, inboxId: string, field: string) {
  if (inboxId === DEFAULT_INBOX_ID) return;
  const inbox = await inboxIdQuery(db, orgId, inboxId).get();
  if (!inbox) throw badRequest(`${field}: shared inbox '${inboxId}' does not exist in this organization`);
}

export async function assertSignatureExists(db: Database, orgId: string, signatureId: string, field: string) {
  const signature = await signatureIdQuery(db, orgId, signatureId).get();
  if (!signature) throw badRequest(`${field}: signature '${signatureId}' does not exist in this organization`);
}

/** 400 naming the field when the shared inbox or the signature of a write does not exist in the org. */
export async function assertReferencesExist(db: Database, orgId: string, refs: AddressReferences) {
  if (refs.sharedInboxId !== undefined) {
    await assertSharedInboxExists(db, orgId, refs.sharedInboxId, "shared_inbox_id");
  }
  if (refs.defaultSignatureId) {
    await assertSignatureExists(db, orgId, refs.defaultSignatureId, "default_signature_id");
  }
}

/**
 * A condition that holds while the shared inbox and signature an address refers to still exist,
 * for re-checking them inside the write itself: a check done before the write alone would let a
 * concurrent delete of the inbox or signature leave the address pointing at nothing.
 * Undefined when there is nothing to check (the built-in default inbox and no signature).
 */
export function referencesExist(db: Database, orgId: string, refs: AddressReferences): SQL | undefined {
  const checks: SQL[] = [];
  if (refs.sharedInboxId !== undefined && refs.sharedInboxId !== DEFAULT_INBOX_ID) {
    checks.push(exists(inboxIdQuery(db, orgId, refs.sharedInboxId)));
  }
  if (refs.defaultSignatureId) {
    checks.push(exists(signatureIdQuery(db, orgId, refs.defaultSignatureId)));
  }
  return checks.length ? and(...checks) : undefined;
}
