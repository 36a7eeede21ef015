import { createRoute, z } from "@hono/zod-openapi";
import { InboxBucketResponseSchema } from "@/features/shared-inboxes/shared-inboxes.schemas";
import { authenticatedErrors, jsonContent } from "@/lib/openapi-helpers";

export const listInboxBuckets = createRoute({
  operationId: "listInboxBuckets",
  method: "get",
  path: "/v2/email-settings/inbox-buckets",
  tags: ["Inbox buckets"],
  summary: "List the buckets of the org's shared inboxes (the default bucket is implicit)",
  responses: {
    200: jsonContent(z.array(InboxBucketResponseSchema), "One bucket per stored shared inbox"),
    ...authenticatedErrors,
  },
});

export type ListInboxBucketsRoute = typeof listInboxBuckets;
