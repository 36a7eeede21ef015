import { configureOpenAPI, DOCS_BUNDLE_PATH } from "@/lib/configure-openapi";
import { createApp } from "@/lib/create-app";
import { requireAuth } from "@/middlewares/auth";
import { corsForAllowedOrigins } from "@/middlewares/cors";
import { markRequestHost } from "@/middlewares/local-dev-keys";
import { securityHeaders } from "@/middlewares/security-headers";
import domains from "@/routes/domains/domains.index";
import emailAddresses from "@/routes/email-addresses/email-addresses.index";
import inboxBuckets from "@/routes/inbox-buckets/inbox-buckets.index";
import mailboxes from "@/routes/mailboxes/mailboxes.index";
import outlook from "@/routes/outlook/outlook.index";
import settings from "@/routes/settings/settings.index";
import sharedInboxMessages from "@/routes/shared-inbox-messages/shared-inbox-messages.index";
import sharedInboxes from "@/routes/shared-inboxes/shared-inboxes.index";
import webhooks from "@/routes/webhooks/webhooks.index";

// This module and what it imports run on the first request, not at startup: src/index.ts `import()`s it
// to keep startup CPU low. Importing it statically from a module that startup runs undoes that.

/** Paths that answer without a bearer token (the OAuth callback is authenticated by its state and cookie). */
const PUBLIC_PATHS = new Set([
  "/openapi.json",
  "/docs",
  DOCS_BUNDLE_PATH,
  "/v2/outlook/oauth/callback",
  "/v2/outlook/notifications",
  "/v2/outlook/notifications/lifecycle",
]);

const app = createApp({
  // Security headers first, so every answer gets them; CORS before authentication, so a listed origin's
  // preflight is answered without a token.
  outermost: [securityHeaders, corsForAllowedOrigins],
  authenticate: requireAuth,
  publicPaths: PUBLIC_PATHS,
});
configureOpenAPI(app);
// Before every route: the env a request sees knows its host, so the development encryption key is refused
// off localhost wherever something is sealed or opened.
app.use(markRequestHost);

// `domains` comes before `settings`: POST /v1/email-settings/domain and /domain:verify would otherwise
// match the legacy POST /v1/email-settings/{id}.
const routers = [
  emailAddresses,
  sharedInboxes,
  inboxBuckets,
  domains,
  settings,
  outlook,
  mailboxes,
  sharedInboxMessages,
  webhooks,
] as const;
for (const router of routers) {
  app.route("/", router);
}

export default app;
