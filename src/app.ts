import { configureOpenAPI } from "@/lib/configure-openapi";
import { createApp } from "@/lib/create-app";
import emailAddresses from "@/routes/email-addresses/email-addresses.index";
import inboxBuckets from "@/routes/inbox-buckets/inbox-buckets.index";
import settings from "@/routes/settings/settings.index";
import sharedInboxes from "@/routes/shared-inboxes/shared-inboxes.index";

const app = createApp();
configureOpenAPI(app);

const routers = [emailAddresses, sharedInboxes, inboxBuckets, settings] as const;
for (const router of routers) {
  app.route("/", router);
}

export default app;
