import { listBucketRows } from "@/db/stores/inbox-buckets.store";
import type { Services } from "@/lib/services";

/** A bucket as the API answers it (the InboxBucketResponse of the contract). */
export interface InboxBucketView {
  id: string;
  inbox_id: string;
}

/** The buckets of the org's stored inboxes in creation order (the default inbox's bucket is implicit). */
export function listInboxBuckets(services: Pick<Services, "db">, orgId: string): Promise<InboxBucketView[]> {
  return listBucketRows(services.db, orgId);
}
