import { and, eq, ne, not, sql } from "drizzle-orm";
import { type Database, getDb, isUniqueViolation, nowIso } from "@/db/client";
import { emailAddresses } from "@/db/schema";
import { badRequest, conflict, notFound } from "@/lib/errors";
import type { AppRouteHandler } from "@/lib/types";
import { DEFAULT_INBOX_ID } from "@/schemas/shared-inboxes";
import {
  assertSharedInboxExists,
  assertSignatureExists,
  creationOrder,
  deleteAddressStatements,
  findEmailAddress,
  referencesExist,
  toEmailAddressResponse,
} from "@/services/email-addresses/email-addresses";
import { emailDomain } from "@/shared/validation";
import type {
  AddEmailAddressRoute,
  DeleteEmailAddressRoute,
  GetEmailAddressRoute,
  ListEmailAddressesRoute,
  ProvisionEpilotEmailAddressRoute,
  SetEmailAddressPrimaryRoute,
  UpdateEmailAddressRoute,
} from "./email-addresses.routes";

const addressNotFound = (id: string) => notFound(`Email address '${id}' not found`);

export const listEmailAddresses: AppRouteHandler<ListEmailAddressesRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const rows = await getDb(c.env.DB)
    .select()
    .from(emailAddresses)
    .where(eq(emailAddresses.orgId, orgId))
    .orderBy(...creationOrder)
    .all();
  return c.json(rows.map(toEmailAddressResponse), 200);
};

export const getEmailAddress: AppRouteHandler<GetEmailAddressRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { id } = c.req.valid("param");
  const row = await findEmailAddress(getDb(c.env.DB), orgId, id);
  if (!row) throw addressNotFound(id);
  return c.json(toEmailAddressResponse(row), 200);
};

export const addEmailAddress: AppRouteHandler<AddEmailAddressRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const body = c.req.valid("json");
  const db = getDb(c.env.DB);
  const platformDomain = c.env.EPILOT_EMAIL_DOMAIN || "epilot.cloud";
  const domain = emailDomain(body.address);
  if (domain === platformDomain || domain.endsWith(`.${platformDomain}`)) {
    throw badRequest(
      `address: @${platformDomain} addresses are provisioned by the platform; use PUT /v2/email-settings/email-addresses/epilot:provision`,
    );
  }
  const sharedInboxId = body.shared_inbox_id ?? DEFAULT_INBOX_ID;
  await assertSharedInboxExists(db, orgId, sharedInboxId, "shared_inbox_id");
  if (body.default_signature_id) {
    await assertSignatureExists(db, orgId, body.default_signature_id, "default_signature_id");
  }
  const now = nowIso();
  const id = crypto.randomUUID();
  const insert = db
    .insert(emailAddresses)
    .values({
      id,
      orgId,
      address: body.address,
      name: body.name,
      userIds: body.user_ids ?? [],
      groupIds: body.group_ids ?? [],
      defaultSignatureId: body.default_signature_id,
      sharedInboxId,
      isActive: true,
      isPrimary: false,
      isEpilotEmailAddress: false,
      createdAt: now,
      updatedAt: now,
      createdBy: userId,
      updatedBy: userId,
    })
    .returning();
  const refs = referencesExist(db, orgId, { sharedInboxId, defaultSignatureId: body.default_signature_id });
  try {
    if (!refs) return c.json(toEmailAddressResponse(await insert.get()), 201);
    // The inbox or signature may have been deleted since the checks above: the insert is undone in
    // the same transaction when they are gone, so no address ever points at a deleted one.
    const [inserted, undone] = await db.batch([
      insert,
      db
        .delete(emailAddresses)
        .where(and(eq(emailAddresses.orgId, orgId), eq(emailAddresses.id, id), not(refs)))
        .returning({ id: emailAddresses.id }),
    ]);
    const row = inserted[0];
    if (undone.length > 0 || !row) {
      await assertReferencesExist(db, orgId, sharedInboxId, body.default_signature_id);
      throw badRequest(
        "shared_inbox_id, default_signature_id: the shared inbox or signature was deleted while the address was added",
      );
    }
    return c.json(toEmailAddressResponse(row), 201);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`Email address '${body.address}' already exists in this organization`);
    throw err;
  }
};

async function assertReferencesExist(
  db: Database,
  orgId: string,
  sharedInboxId: string | undefined,
  defaultSignatureId: string | null | undefined,
) {
  if (sharedInboxId !== undefined) await assertSharedInboxExists(db, orgId, sharedInboxId, "shared_inbox_id");
  if (defaultSignatureId) await assertSignatureExists(db, orgId, defaultSignatureId, "default_signature_id");
}

export const updateEmailAddress: AppRouteHandler<UpdateEmailAddressRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const db = getDb(c.env.DB);
  const existing = await findEmailAddress(db, orgId, id);
  if (!existing) throw addressNotFound(id);
  await assertReferencesExist(db, orgId, body.shared_inbox_id, body.default_signature_id);
  const deactivating = body.is_active === false;
  if (deactivating && existing.isPrimary) throw primaryCannotBeDeactivated(existing.address);

  const updated = await db
    .update(emailAddresses)
    .set({
      ...(body.name !== undefined && { name: body.name }),
      ...(body.user_ids !== undefined && { userIds: body.user_ids }),
      ...(body.group_ids !== undefined && { groupIds: body.group_ids }),
      ...(body.default_signature_id !== undefined && { defaultSignatureId: body.default_signature_id }),
      ...(body.shared_inbox_id !== undefined && { sharedInboxId: body.shared_inbox_id }),
      ...(body.is_active !== undefined && { isActive: body.is_active }),
      updatedAt: nowIso(),
      updatedBy: userId,
    })
    // Re-checked in the statement itself: a concurrent primary switch cannot leave an inactive
    // primary, and a concurrent delete of the inbox or signature cannot leave a dangling reference.
    .where(
      and(
        eq(emailAddresses.orgId, orgId),
        eq(emailAddresses.id, existing.id),
        deactivating ? eq(emailAddresses.isPrimary, false) : undefined,
        referencesExist(db, orgId, {
          sharedInboxId: body.shared_inbox_id,
          defaultSignatureId: body.default_signature_id,
        }),
      ),
    )
    .returning()
    .get();
  if (!updated) {
    const current = await findEmailAddress(db, orgId, existing.id);
    if (!current) throw addressNotFound(id);
    await assertReferencesExist(db, orgId, body.shared_inbox_id, body.default_signature_id);
    throw primaryCannotBeDeactivated(current.address);
  }
  return c.json(toEmailAddressResponse(updated), 200);
};

const primaryCannotBeDeactivated = (address: string) =>
  conflict(`'${address}' is the primary address and cannot be deactivated; make another address primary first`);

export const deleteEmailAddress: AppRouteHandler<DeleteEmailAddressRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { id } = c.req.valid("param");
  const db = getDb(c.env.DB);
  const existing = await findEmailAddress(db, orgId, id);
  if (!existing) throw addressNotFound(id);
  // Deleting the primary hands the role to the oldest remaining active address, in the same
  // transaction, so an org that has addresses never ends up without a primary by accident.
  const [, , deleted] = await db.batch(deleteAddressStatements(db, orgId, existing.id));
  if (deleted.length === 0) throw addressNotFound(id);
  return c.body(null, 204);
};

export const setEmailAddressPrimary: AppRouteHandler<SetEmailAddressPrimaryRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const { address } = c.req.valid("json");
  const db = getDb(c.env.DB);
  const target = await findEmailAddress(db, orgId, address);
  if (!target) throw addressNotFound(address);
  if (!target.isActive) throw inactiveCannotBePrimary(target.address);
  if (target.isPrimary) return c.json(toEmailAddressResponse(target), 200);

  // Both statements are conditional on the target still being active, and run in one D1
  // transaction: the old primary is unset only if the new one is set, so there is always exactly
  // one primary; the partial unique index rejects any interleaving that would make two.
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
  const row = promoted[0];
  if (!row) {
    const current = await findEmailAddress(db, orgId, target.id);
    if (!current) throw addressNotFound(address);
    throw inactiveCannotBePrimary(current.address);
  }
  return c.json(toEmailAddressResponse(row), 200);
};

const inactiveCannotBePrimary = (address: string) =>
  conflict(`'${address}' is inactive and cannot be primary; activate it first`);

export const provisionEpilotEmailAddress: AppRouteHandler<ProvisionEpilotEmailAddressRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const { address } = c.req.valid("json");
  const platformDomain = c.env.EPILOT_EMAIL_DOMAIN || "epilot.cloud";
  if (emailDomain(address) !== platformDomain) {
    throw badRequest(`address: must be an @${platformDomain} address`);
  }
  const db = getDb(c.env.DB);
  const now = nowIso();
  const otherEpilotAddresses = and(
    eq(emailAddresses.orgId, orgId),
    eq(emailAddresses.isEpilotEmailAddress, true),
    ne(emailAddresses.address, address),
  );
  // When the primary was one of the platform addresses being retired, the new one takes over.
  const primaryWasRetired = await db
    .select({ id: emailAddresses.id })
    .from(emailAddresses)
    .where(and(otherEpilotAddresses, eq(emailAddresses.isPrimary, true)))
    .get();

  try {
    const results = await db.batch([
      db
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
        }),
      db
        .update(emailAddresses)
        .set({ isActive: false, isPrimary: false, updatedAt: now, updatedBy: userId })
        .where(and(otherEpilotAddresses, eq(emailAddresses.isActive, true))),
      db
        .update(emailAddresses)
        .set({ isPrimary: true })
        .where(
          and(
            eq(emailAddresses.orgId, orgId),
            eq(emailAddresses.address, address),
            sql`${primaryWasRetired ? 1 : 0} = 1`,
            not(sql`EXISTS (SELECT 1 FROM email_addresses WHERE org_id = ${orgId} AND is_primary = 1)`),
          ),
        ),
      db
        .select()
        .from(emailAddresses)
        .where(and(eq(emailAddresses.orgId, orgId), eq(emailAddresses.address, address))),
    ]);
    const row = results[3][0];
    if (!row) throw new Error("provisioned address was not found after the write");
    return c.json(toEmailAddressResponse(row), 200);
  } catch (err) {
    if (isUniqueViolation(err, "email_addresses.address")) {
      // Platform addresses are one namespace, first come first served: the answer says "taken", never by whom.
      throw conflict(`'${address}' is not available; choose another name`);
    }
    throw err;
  }
};
