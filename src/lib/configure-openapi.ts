import { Scalar } from "@scalar/hono-api-reference";
import { SECURITY } from "./openapi-helpers";
import type { AppOpenAPI } from "./types";

export const API_TITLE = "Messaging Settings API";
export const API_VERSION = "1.5.0";

const TAGS = [
  { name: "Email settings", description: "Legacy settings endpoints." },
  { name: "Email addresses", description: "Sender addresses of the organization." },
  { name: "Shared inboxes", description: "Team inboxes; the `default` inbox always exists." },
  { name: "Inbox buckets", description: "Storage containers behind shared inboxes." },
  { name: "O365 Outlook Connection", description: "Microsoft 365 connections and mailboxes." },
  { name: "Settings", description: "Typed legacy settings: signatures, domains, addresses, duplicate detection." },
  { name: "Domains", description: "Custom sending domains and their DNS verification." },
];

/** Registers the security schemes and serves `/openapi.json` and the `/docs` reference. */
export function configureOpenAPI(app: AppOpenAPI) {
  const registry = app.openAPIRegistry;
  registry.registerComponent("securitySchemes", "EpilotAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "Bearer JWT: `Authorization: Bearer <token>`.",
  });
  registry.registerComponent("securitySchemes", "AsOrganization", {
    type: "apiKey",
    in: "header",
    name: "x-ivy-org-id",
    description: "Internal service tokens only: the organization to act for.",
  });
  registry.registerComponent("securitySchemes", "EpilotOrg", {
    type: "apiKey",
    in: "header",
    name: "x-epilot-org-id",
    description: "Act for another organization that the token grants (shared tenant access).",
  });

  app.doc("/openapi.json", (c) => ({
    openapi: "3.0.3",
    info: {
      title: API_TITLE,
      version: API_VERSION,
      description: "Sender addresses, signatures, custom domains, shared inboxes and Microsoft 365 mailboxes.",
    },
    servers: [{ url: new URL(c.req.url).origin }],
    tags: TAGS,
    security: SECURITY,
  }));

  app.get(
    "/docs",
    Scalar((c) => {
      const nonce = newCspNonce();
      c.header("Content-Security-Policy", docsContentSecurityPolicy(nonce));
      // With a nonce Scalar loads its single-file bundle (no further script requests) and stamps the nonce
      // on that script, its inline init script and its style tag.
      return { url: "/openapi.json", pageTitle: API_TITLE, nonce };
    }),
  );
}

/**
 * The `/docs` page's policy: scripts only with this response's nonce (Scalar's CDN bundle and its init
 * script), styles inline (Scalar renders style attributes, which no nonce can allow), fonts from Scalar's
 * font host, requests only to this API, and no framing, plugins, base or form targets.
 */
export function docsContentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    "style-src 'unsafe-inline'",
    "font-src https://fonts.scalar.com",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** A fresh CSP nonce (128 random bits) for one HTML response. */
function newCspNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}
