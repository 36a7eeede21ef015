import { and, eq, ne, sql } from "drizzle-orm";
import { type Database, getDb, nowIso } from "@/db/client";
import { type EmailAddressRow, emailAddresses } from "@/db/schema";
import type { AppEnv } from "@/lib/types";
import { addressNotFound, inactiveCannotBePrimary } from "./errors";
import { findEmailAddress } from "./lookup";
import { type EmailAddressView, toEmailAddressResponse } from "./response";

/**
 * Makes an active address (found by UUID or address) the org's one primary address and unsets the
 * previous one. 404 when the org has no such address, 409 when it is inactive; idempotent.
 */
export async function setEmailAddressPrimary(
  env: AppEnv,
  orgId: string,
  userId: string | undefined,
  idOrAddress: string,
): Promise<EmailAddressView> {
  const db = getDb(env.DB);
  const target = await findEmailAddress(db, orgId, idOrAddress);
  if (!target) throw addressNotFound(idOrAddress);
  if (!target.isActive) throw inactiveCannotBePrimary(target.address);
  if (target.isPrimary) return toEmailAddressResponse(target);
  const promoted = await switchPrimary(db, orgId, userId, target);
  if (!promoted) {
    const current = await findEmailAddress(db, orgId, target.id);
    if (!current) throw addressNotFound(idOrAddress);
    throw inactiveCannotBePrimary(current.address);
  }
  return toEmailAddressResponse(promoted);
}

/**
 * Both statements are conditional on the target still being active, and run in one D1 transaction:
 * the old primary is unset only if the new one is set, so there is always exactly one primary; the
 * partial unique index rejects any interleaving that would make two. Undefined when the target was
 * deactivated or deleted meanwhile.
 */
async function switchPrimary(
  db: Database,
  orgId: string,
  userId: string | undefined,
  target: EmailAddressRow,
): Promise<EmailAddressRow | undefined> {
  const targetIsActive = sql`EXISTS (SELECT 1 FROM email_addresses WHERE org_id = ${orgId} AND id = ${target.id} AND is_active = 1)`;
  const now = nowIso();
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
