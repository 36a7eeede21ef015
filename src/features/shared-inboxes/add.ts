import { isUniqueViolation, nowIso } from "@/db/client";
import { insertBucketStatement } from "@/db/stores/inbox-buckets.store";
import { insertInboxStatement } from "@/db/stores/shared-inboxes.store";
import { conflict } from "@/lib/errors";
import type { Services } from "@/lib/services";
import { type SharedInboxView, toSharedInboxResponse } from "./response";

/** What a caller may set on a new inbox (the CreateSharedInboxPayload, validated). */
export interface NewSharedInbox {
  /** A caller-chosen id; default: a UUID. */
  id?: string;
  name: string;
  description?: string;
  color: string;
  assignees: string[];
}

/** Creates an inbox and its bucket in one batch; 409 when the org already has an inbox with the id. */
export async function addSharedInbox(
  services: Pick<Services, "db">,
  orgId: string,
  userId: string | undefined,
  input: NewSharedInbox,
): Promise<SharedInboxView> {
  const { db } = services;
  const id = input.id ?? crypto.randomUUID();
  const bucketId = crypto.randomUUID();
  const now = nowIso();
  try {
    const [[inbox]] = await db.batch([
      insertInboxStatement(db, {
        orgId,
        id,
        name: input.name,
        description: input.description,
        color: input.color,
        assignees: input.assignees,
        createdAt: now,
        updatedAt: now,
        createdBy: userId,
        updatedBy: userId,
      }),
      insertBucketStatement(db, { orgId, id: bucketId, inboxId: id, createdAt: now }),
    ]);
    if (!inbox) throw new Error("inserted inbox was not returned");
    return toSharedInboxResponse(inbox, bucketId);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`A shared inbox with id '${id}' already exists in this organization`);
    throw err;
  }
}
