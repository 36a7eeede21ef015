import { addSharedInbox as addInbox } from "@/features/shared-inboxes/add";
import { deleteSharedInbox as deleteInbox } from "@/features/shared-inboxes/delete";
import { getSharedInbox as getInbox, listSharedInboxes as listInboxes } from "@/features/shared-inboxes/lookup";
import { updateSharedInbox as updateInbox } from "@/features/shared-inboxes/update";
import type { AppRouteHandler } from "@/lib/types";
import type {
  AddSharedInboxRoute,
  DeleteSharedInboxRoute,
  GetSharedInboxRoute,
  ListSharedInboxesRoute,
  UpdateSharedInboxRoute,
} from "./shared-inboxes.routes";

export const listSharedInboxes: AppRouteHandler<ListSharedInboxesRoute> = async (c) => {
  const { orgId } = c.get("auth");
  return c.json(await listInboxes(c.get("services"), orgId), 200);
};

export const getSharedInbox: AppRouteHandler<GetSharedInboxRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { id } = c.req.valid("param");
  return c.json(await getInbox(c.get("services"), orgId, id), 200);
};

export const addSharedInbox: AppRouteHandler<AddSharedInboxRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  return c.json(await addInbox(c.get("services"), orgId, userId, c.req.valid("json")), 201);
};

export const updateSharedInbox: AppRouteHandler<UpdateSharedInboxRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const { id } = c.req.valid("param");
  return c.json(await updateInbox(c.get("services"), orgId, userId, id, c.req.valid("json")), 200);
};

export const deleteSharedInbox: AppRouteHandler<DeleteSharedInboxRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const { id } = c.req.valid("param");
  await deleteInbox(c.get("services"), orgId, userId, id, c.req.valid("query").successorInboxId);
  return c.body(null, 204);
};
