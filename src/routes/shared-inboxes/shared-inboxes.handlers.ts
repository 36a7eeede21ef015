import { and, eq } from "drizzle-orm";
import { getDb, isUniqueViolation, nowIso } from "@/db/client";
import { emailAddresses, inboxBuckets, sharedInboxes } from "@/db/schema";
import { badRequest, conflict, notFound } from "@/lib/errors";
import type { AppRouteHandler } from "@/lib/types";
import { DEFAULT_INBOX_ID } from "@/schemas/shared-inboxes";
import { moveMailboxDataStatements } from "@/services/mailboxes/mailboxes";
import * as inboxes from "@/services/shared-inboxes/shared-inboxes";
import type {
  AddSharedInboxRoute,
  DeleteSharedInboxRoute,
  GetSharedInboxRoute,
  ListSharedInboxesRoute,
  UpdateSharedInboxRoute,
} from "./shared-inboxes.routes";

const inboxNotFound = (id: string) => notFound(`Shared inbox '${id}' not found`);

export const listSharedInboxes: AppRouteHandler<ListSharedInboxesRoute> = async (c) => {
  const { orgId } = c.get("auth");
  return c.json(await inboxes.listSharedInboxes(getDb(c.env.DB), orgId), 200);
};

export const getSharedInbox: AppRouteHandler<GetSharedInboxRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { id } = c.req.valid("param");
  const inbox = await inboxes.findSharedInbox(getDb(c.env.DB), orgId, id);
  if (!inbox) throw inboxNotFound(id);
  return c.json(inbox, 200);
};

export const addSharedInbox: AppRouteHandler<AddSharedInboxRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const body = c.req.valid("json");
  const db = getDb(c.env.DB);
  const id = body.id ?? crypto.randomUUID();
  const bucketId = crypto.randomUUID();
  const now = nowIso();
  try {
    const [[inbox]] = await db.batch([
      db
        .insert(sharedInboxes)
        .values({
          orgId,
          id,
          name: body.name,
          description: body.description,
          color: body.color,
          assignees: body.assignees,
          createdAt: now,
          updatedAt: now,
          createdBy: userId,
          updatedBy: userId,
        })
        .returning(),
      db.insert(inboxBuckets).values({ orgId, id: bucketId, inboxId: id, createdAt: now }),
    ]);
    if (!inbox) throw new Error("inserted inbox was not returned");
    return c.json(inboxes.toSharedInboxResponse(inbox, bucketId), 201);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`A shared inbox with id '${id}' already exists in this organization`);
    throw err;
  }
};

export const updateSharedInbox: AppRouteHandler<UpdateSharedInboxRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  if (id === DEFAULT_INBOX_ID) throw badRequest("The default inbox is built in and cannot be changed");
  const db = getDb(c.env.DB);
  const updated = await db
    .update(sharedInboxes)
    .set({
      ...(body.name !== undefined && { name: body.name }),
      ...(body.description !== undefined && { description: body.description }),
      ...(body.color !== undefined && { color: body.color }),
      ...(body.assignees !== undefined && { assignees: body.assignees }),
      updatedAt: nowIso(),
      updatedBy: userId,
    })
    .where(and(eq(sharedInboxes.orgId, orgId), eq(sharedInboxes.id, id)))
    .returning({ id: sharedInboxes.id })
    .get();
  if (!updated) throw inboxNotFound(id);
  const inbox = await inboxes.findSharedInbox(db, orgId, id);
  if (!inbox) throw inboxNotFound(id);
  return c.json(inbox, 200);
};

export const deleteSharedInbox: AppRouteHandler<DeleteSharedInboxRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const { id } = c.req.valid("param");
  const successorId = c.req.valid("query").successorInboxId ?? DEFAULT_INBOX_ID;
  if (id === DEFAULT_INBOX_ID) throw badRequest("The default inbox is built in and cannot be deleted");
  const db = getDb(c.env.DB);
  if (!(await inboxes.findSharedInbox(db, orgId, id))) throw inboxNotFound(id);
  if (successorId === id) throw badRequest("successorInboxId: must differ from the inbox being deleted");
  if (!(await inboxes.findSharedInbox(db, orgId, successorId))) {
    throw badRequest(`successorInboxId: shared inbox '${successorId}' does not exist in this organization`);
  }
  // One transaction: addresses, mailboxes and imported mail move to the successor, and the inbox and
  // its bucket disappear together.
  const [, , deleted] = await db.batch([
    db
      .update(emailAddresses)
      .set({ sharedInboxId: successorId, updatedAt: nowIso(), updatedBy: userId })
      .where(and(eq(emailAddresses.orgId, orgId), eq(emailAddresses.sharedInboxId, id))),
    db.delete(inboxBuckets).where(and(eq(inboxBuckets.orgId, orgId), eq(inboxBuckets.inboxId, id))),
    db
      .delete(sharedInboxes)
      .where(and(eq(sharedInboxes.orgId, orgId), eq(sharedInboxes.id, id)))
      .returning({ id: sharedInboxes.id }),
    // Outlook mailbox mappings and their imported messages follow the addresses to the successor.
    ...moveMailboxDataStatements(db, orgId, id, successorId),
  ]);
  if (deleted.length === 0) throw inboxNotFound(id);
  return c.body(null, 204);
};
