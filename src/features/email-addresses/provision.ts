import { and, eq, ne, not, sql } from "drizzle-orm";
import { type Database, getDb, isUniqueViolation, nowIso } from "@/db/client";
import { type EmailAddressRow, emailAddresses } from "@/db/schema";
import type { AppEnv } from "@/lib/types";
import { DEFAULT_INBOX_ID } from "@/shared/default-inbox";
import { addressNotAvailable } from "./errors";
import { assertPlatformAddress } from "./platform-address";
import { type EmailAddressView, toEmailAddressResponse } from "./response";

/**
 * Provisions (or reactivates) the org's platform address on EPILOT_EMAIL_DOMAIN. An org has one active
 * platform address: provisioning another deactivates the rest, and when the primary was one of them the
 * new address takes over the role. Platform addresses are one namespace, first come first served: one
 * another org holds answers 409 without saying who holds it.
 */
export async function provisionEpilotEmailAddress(
  env: AppEnv,
  orgId: string,
  userId: string | undefined,
  address: string,
): Promise<EmailAddressView> {
  assertPlatformAddress(env, address);
  const db = getDb(env.DB);
  try {
    return toEmailAddressResponse(await provisionStatements(db, orgId, userId, address));
  } catch (err) {
    if (isUniqueViolation(err, "email_addresses.address")) {
      throw addressNotAvailable(address);
    }
    throw err;
  }
}

/** Upserts the address, retires the org's other platform addresses and hands over the primary role, in one batch. */
async function provisionStatements(
  db: Database,
  orgId: string,
  userId: string | undefined,
  address: string,
): Promise<EmailAddressRow> {
  const now = nowIso();
  const otherPlatformAddresses = and(
    eq(emailAddresses.orgId, orgId),
    eq(emailAddresses.isEpilotEmailAddress, true),
    ne(emailAddresses.address, address),
  );
  // When the primary was one of the platform addresses being retired, the new one takes over.
  const primaryWasRetired = await db
    .select({ id: emailAddresses.id })
    .from(emailAddresses)
    .where(and(otherPlatformAddresses, eq(emailAddresses.isPrimary, true)))
    .get();
  const thisAddress = and(eq(emailAddresses.orgId, orgId), eq(emailAddresses.address, address));
  const results = await db.batch([
    upsertPlatformAddress(db, orgId, userId, address, now),
    db
      .update(emailAddresses)
      .set({ isActive: false, isPrimary: false, updatedAt: now, updatedBy: userId })
      .where(and(otherPlatformAddresses, eq(emailAddresses.isActive, true))),
    db
      .update(emailAddresses)
      .set({ isPrimary: true })
      .where(
        and(
          thisAddress,
          sql`${primaryWasRetired ? 1 : 0} = 1`,
          not(sql`EXISTS (SELECT 1 FROM email_addresses WHERE org_id = ${orgId} AND is_primary = 1)`),
        ),
      ),
    db.select().from(emailAddresses).where(thisAddress),
  ]);
  const row = results[3][0];
  if (!row) throw new Error("provisioned address was not found after the write");
  return row;
}

function upsertPlatformAddress(db: Database, orgId: string, userId: string | undefined, address: string, now: string) {
  return db
    .insert(emailAddresses)
    .values({
      id: crypto.randomUUID(),
      orgId,
      address,
      isActive: true,
      isPrimary: false,
      isEpilotEmailAddress: true,
      sharedInboxId: DEFAULT_INBOX_ID,
      userIds: [],
      groupIds: [],
      createdAt: now,
      updatedAt: now,
      createdBy: userId,
      updatedBy: userId,
    })
    .onConflictDoUpdate({
      target: [emailAddresses.orgId, emailAddresses.address],
      set: { isActive: true, isEpilotEmailAddress: true, updatedAt: now, updatedBy: userId },
    });
}
