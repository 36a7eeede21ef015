import { listInboxBuckets as listBuckets } from "@/features/inbox-buckets/list";
import type { AppRouteHandler } from "@/lib/types";
import type { ListInboxBucketsRoute } from "./inbox-buckets.routes";

export const listInboxBuckets: AppRouteHandler<ListInboxBucketsRoute> = async (c) => {
  const { orgId } = c.get("auth");
  return c.json(await listBuckets(c.get("services"), orgId), 200);
};
