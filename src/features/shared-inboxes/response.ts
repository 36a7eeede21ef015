import type { SharedInboxRow } from "@/db/schema";
import { DEFAULT_BUCKET_ID, DEFAULT_INBOX_ID } from "@/shared/default-inbox";

/** A shared inbox as the API answers it (the SharedInboxResponse of the contract). */
export interface SharedInboxView {
  id: string;
  name: string;
  description?: string;
  color: string;
  assignees: string[];
  bucket_id: string;
  created_at: string;
  updated_at?: string;
  created_by?: string;
  updated_by?: string;
}

/** The `default` inbox exists for every org without being stored. */
export const DEFAULT_INBOX: SharedInboxView = {
  id: DEFAULT_INBOX_ID,
  name: "Default",
  color: "#9E9E9E",
  assignees: [],
  bucket_id: DEFAULT_BUCKET_ID,
  created_at: "1970-01-01T00:00:00.000Z",
};

export function toSharedInboxResponse(row: SharedInboxRow, bucketId: string | null): SharedInboxView {
  return {
    id: row.id,
    name: row.name,
    ...(row.description != null && { description: row.description }),
    color: row.color,
    assignees: row.assignees,
    // Every stored inbox is created with its bucket in one batch; the fallback is defensive only.
    bucket_id: bucketId ?? DEFAULT_BUCKET_ID,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    ...(row.createdBy != null && { created_by: row.createdBy }),
    ...(row.updatedBy != null && { updated_by: row.updatedBy }),
  };
}
