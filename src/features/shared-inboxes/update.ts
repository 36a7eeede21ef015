import { nowIso } from "@/db/client";
import { updateInboxRow } from "@/db/stores/shared-inboxes.store";
import { badRequest } from "@/lib/errors";
import type { Services } from "@/lib/services";
import { DEFAULT_INBOX_ID } from "@/shared/default-inbox";
import { findSharedInbox, inboxNotFound } from "./lookup";
import type { SharedInboxView } from "./response";

/** The fields a caller may change (the UpdateSharedInboxPayload, validated); absent ones stay. */
export interface SharedInboxChanges {
  name?: string;
  description?: string;
  color?: string;
  assignees?: string[];
}

/** Changes the given fields; 400 for the built-in default inbox, 404 when the org has no such inbox. */
export async function updateSharedInbox(
  services: Pick<Services, "db">,
  orgId: string,
  userId: string | undefined,
  id: string,
  changes: SharedInboxChanges,
): Promise<SharedInboxView> {
  if (id === DEFAULT_INBOX_ID) throw badRequest("The default inbox is built in and cannot be changed");
  const { db } = services;
  const updated = await updateInboxRow(db, orgId, id, {
    ...(changes.name !== undefined && { name: changes.name }),
    ...(changes.description !== undefined && { description: changes.description }),
    ...(changes.color !== undefined && { color: changes.color }),
    ...(changes.assignees !== undefined && { assignees: changes.assignees }),
    updatedAt: nowIso(),
    updatedBy: userId,
  });
  if (!updated) throw inboxNotFound(id);
  const inbox = await findSharedInbox(db, orgId, id);
  if (!inbox) throw inboxNotFound(id);
  return inbox;
}
