import { configureOpenAPI } from "@/lib/configure-openapi";
import { createApp } from "@/lib/create-app";
import domains from "@/routes/domains/domains.index";
import emailAddresses from "@/routes/email-addresses/email-addresses.index";
import inboxBuckets from "@/routes/inbox-buckets/inbox-buckets.index";
import mailboxes from "@/routes/mailboxes/mailboxes.index";
import outlook from "@/routes/outlook/outlook.index";
import settings from "@/routes/settings/settings.index";
import sharedInboxes from "@/routes/shared-inboxes/shared-inboxes.index";

const app = createApp();
configureOpenAPI(app);

// `domains` comes before `settings`: POST /v1/email-settings/domain and /domain:verify would otherwise
// match the legacy POST /v1/email-settings/{id}.
const routers = [emailAddresses, sharedInboxes, inboxBuckets, domains, settings, outlook, mailboxes] as const;
for (const router of routers) {
  app.route("/", router);
}

export default app;
