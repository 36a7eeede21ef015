import { createRouter } from "@/lib/create-app";
import * as handlers from "./inbox-buckets.handlers";
import * as routes from "./inbox-buckets.routes";

const router = createRouter().openapi(routes.listInboxBuckets, handlers.listInboxBuckets);

export default router;
