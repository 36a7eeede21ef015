import { and, eq, exists, or, type SQL, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { type EmailAddressRow, emailAddresses, settings, sharedInboxes } from "@/db/schema";
import { badRequest } from "@/lib/errors";
import type { EmailAddressResponse } from "@/schemas/email-addresses";
import { DEFAULT_INBOX_ID } from "@/schemas/shared-inboxes";
import { normalizeEmailAddress } from "@/shared/validation";

/** Looks an address up by its UUID or by the address itself, case-insensitively, within one org. */
export async function findEmailAddress(db: Database, orgId: string, idOrAddress: string) {
  const key = normalizeEmailAddress(idOrAddress);
  return db
    .select()
    .from(emailAddresses)
    .where(and(eq(emailAddresses.orgId, orgId), or(eq(emailAddresses.id, key), eq(emailAddresses.address, key))))
    .get();
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

/**
 * A condition that holds while the shared inbox and signature an address refers to still exist,
 * for re-checking them inside the write itself: a check done before the write alone would let a
 * concurrent delete of the inbox or signature leave the address pointing at nothing.
 * Undefined when there is nothing to check (the built-in default inbox and no signature).
 */
export function referencesExist(
  db: Database,
  orgId: string,
  refs: { sharedInboxId?: string; defaultSignatureId?: string | null },
): SQL | undefined {
  const checks: SQL[] = [];
  if (refs.sharedInboxId !== undefined && refs.sharedInboxId !== DEFAULT_INBOX_ID) {
    checks.push(
      exists(
        db
          .select({ one: sql`1` })
          .from(sharedInboxes)
          .where(and(eq(sharedInboxes.orgId, orgId), eq(sharedInboxes.id, refs.sharedInboxId))),
      ),
    );
  }
  if (refs.defaultSignatureId) {
    checks.push(
      exists(
        db
          .select({ one: sql`1` })
          .from(settings)
          .where(
            and(eq(settings.orgId, orgId), eq(settings.id, refs.defaultSignatureId), eq(settings.type, "signature")),
          ),
      ),
    );
  }
  return checks.length ? and(...checks) : undefined;
}

/** Creation order; rowid breaks ties between rows created in the same millisecond. */
export const creationOrder = [sql`${emailAddresses.createdAt}`, sql`rowid`];

export function toEmailAddressResponse(row: EmailAddressRow): EmailAddressResponse {
  return {
    id: row.id,
    address: row.address,
    ...(row.name != null && { name: row.name }),
    user_ids: row.userIds,
    group_ids: row.groupIds,
    ...(row.defaultSignatureId != null && { default_signature_id: row.defaultSignatureId }),
    shared_inbox_id: row.sharedInboxId,
    is_active: row.isActive,
    is_primary: row.isPrimary,
    is_epilot_email_address: row.isEpilotEmailAddress,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    ...(row.createdBy != null && { created_by: row.createdBy }),
    ...(row.updatedBy != null && { updated_by: row.updatedBy }),
  };
}

/**
 * The statements that delete an address in one batch, handing the primary role to the oldest remaining
 * active address when the deleted one held it. Whether it held it is decided inside the transaction,
 * not from an earlier read (a concurrent delete may have promoted it meanwhile): the first statement
 * clears its primary flag, so another address can take the role, and parks the old flag in is_active,
 * which the second statement reads; the third deletes the row, so the parked value is never visible.
 * The last statement returns the deleted id.
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
