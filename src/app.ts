import { domainSettings } from "@/features/domains";
import domains from "@/features/domains/domains.router";
import emailAddresses from "@/features/email-addresses/email-addresses.router";
import inboxBuckets from "@/features/inbox-buckets/inbox-buckets.router";
import { tenantMailboxes } from "@/features/mailboxes";
import mailboxes from "@/features/mailboxes/mailboxes.router";
import { createOutlookRouter } from "@/features/outlook/outlook.router";
import { createSettingsRouter } from "@/features/settings/settings.router";
import sharedInboxMessages from "@/features/shared-inbox-messages/shared-inbox-messages.router";
import sharedInboxes from "@/features/shared-inboxes/shared-inboxes.router";
import webhooks from "@/features/webhooks/webhooks.router";
import { configureOpenAPI, DOCS_BUNDLE_PATH } from "@/lib/configure-openapi";
import { createApp } from "@/lib/create-app";
import { requireAuth } from "@/middlewares/auth";
import { corsForAllowedOrigins } from "@/middlewares/cors";
import { d1Session } from "@/middlewares/d1-session";
import { markRequestHost } from "@/middlewares/local-dev-keys";
import { securityHeaders } from "@/middlewares/security-headers";

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
// Then every request's queries run in one D1 session (read replicas for reads; the bookmark header), except
// the sign-in flow's GETs: they write OAuth state, or read what the redirect before them just wrote.
app.use(d1Session(new Set(["/v2/outlook/connect", "/v2/outlook/oauth/callback"])));

// `domains` comes before `settings`: POST /v1/email-settings/domain and /domain:verify would otherwise
// match the legacy POST /v1/email-settings/{id}.
const routers = [
  emailAddresses,
  sharedInboxes,
  inboxBuckets,
  domains,
  // The two features that reach back into a feature depending on them get its side here, the composition root.
  createSettingsRouter(domainSettings),
  createOutlookRouter(tenantMailboxes),
  mailboxes,
  sharedInboxMessages,
  webhooks,
] as const;
for (const router of routers) {
  app.route("/", router);
}

export default app;
