import { and, eq, exists, type SQL } from "drizzle-orm";
import type { Database } from "@/db/client";
import { settings, sharedInboxes } from "@/db/schema";
import { badRequest } from "@/lib/errors";
import { DEFAULT_INBOX_ID } from "@/shared/default-inbox";

/** The shared inbox and signature an address points at (undefined: not part of this write). */
export interface AddressReferences {
  sharedInboxId?: string;
  defaultSignatureId?: string | null;
}

export async function assertSharedInboxExists(db: Database, orgId: string, inboxId: string, field: string) {
  if (inboxId === DEFAULT_INBOX_ID) return;
  const inbox = await db
    .select({ id: sharedInboxes.id })
    .from(sharedInboxes)
    .where(and(eq(sharedInboxes.orgId, orgId), eq(sharedInboxes.id, inboxId)))
    .get();
  if (!inbox) throw badRequest(`${field}: shared inbox '${inboxId}' does not exist in this organization`);
}

export async function assertSignatureExists(db: Database, orgId: string, signatureId: string, field: string) {
  const signature = await db
    .select({ id: settings.id })
    .from(settings)
    .where(and(eq(settings.orgId, orgId), eq(settings.id, signatureId), eq(settings.type, "signature")))
    .get();
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
    checks.push(
      exists(
        db
          .select({ id: sharedInboxes.id })
          .from(sharedInboxes)
          .where(and(eq(sharedInboxes.orgId, orgId), eq(sharedInboxes.id, refs.sharedInboxId))),
      ),
    );
  }
  if (refs.defaultSignatureId) {
    checks.push(
      exists(
        db
          .select({ id: settings.id })
          .from(settings)
          .where(
            and(eq(settings.orgId, orgId), eq(settings.id, refs.defaultSignatureId), eq(settings.type, "signature")),
          ),
      ),
    );
  }
  return checks.length ? and(...checks) : undefined;
}
