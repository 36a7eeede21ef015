import type { Handler } from "hono";
import { ApiError } from "./errors";
import { SECURITY } from "./openapi-helpers";
import type { AppBindings, AppOpenAPI } from "./types";

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

  // Generated on the first request (every route is registered by then) and kept: the document depends only
  // on the routes, except `servers`, which names the origin each request came to.
  let document: ReturnType<AppOpenAPI["getOpenAPIDocument"]> | undefined;
  app.get("/openapi.json", (c) => {
    document ??= app.getOpenAPIDocument({
      openapi: "3.0.3",
      info: {
        title: API_TITLE,
        version: API_VERSION,
        description: "Sender addresses, signatures, custom domains, shared inboxes and Microsoft 365 mailboxes.",
      },
      servers: [],
      tags: TAGS,
      security: SECURITY,
    });
    return c.json({ ...document, servers: [{ url: new URL(c.req.url).origin }] });
  });

  app.get("/docs", (c) => {
    const nonce = newCspNonce();
    c.header("Content-Security-Policy", docsContentSecurityPolicy(nonce));
    return c.html(docsPage(nonce));
  });
  app.get(DOCS_BUNDLE_PATH, serveDocsBundle);
}

/**
 * Where `/docs` loads Scalar's standalone bundle from: this Worker's static assets (wrangler.toml `[assets]`),
 * file public/docs/scalar/standalone.js, which scripts/copy-docs-assets.mjs copies from the exact
 * `@scalar/api-reference` version package.json pins. Public, like `/docs` (src/app.ts).
 */
export const DOCS_BUNDLE_PATH = "/docs/scalar/standalone.js";

/** Scalar settings that keep the page on this origin: no font CDN, no telemetry, no hosted AI agent. */
const OFFLINE_CONFIG = {
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  showDeveloperTools: "never",
} as const;

/** What the page hands Scalar: this API's document and the offline settings. */
const DOCS_CONFIG = JSON.stringify({ url: "/openapi.json", ...OFFLINE_CONFIG }, null, 2).replaceAll("<", "\\u003c");

/**
 * The `/docs` page: Scalar's single-file bundle, loaded with `<script src>` from this Worker (no further
 * script requests), and its init script, both carrying this response's nonce; `csp-nonce` lets the bundle
 * stamp the nonce on what it injects. (The page @scalar/hono-api-reference rendered, without that package.)
 */
function docsPage(nonce: string): string {
  return `<!doctype html>
<html>
  <head>
    <title>${API_TITLE}</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta property="csp-nonce" content="${nonce}" />
  </head>
  <body>
    <div id="app"></div>
    <script src="${DOCS_BUNDLE_PATH}" nonce="${nonce}"></script>
    <script nonce="${nonce}">
      Scalar.createApiReference('#app', ${DOCS_CONFIG})
    </script>
  </body>
</html>`;
}

/**
 * Serves the bundle from the ASSETS binding. Browsers revalidate it on every load (`no-cache`, answered 304
 * through its ETag), so a deploy with another pinned version takes effect at once; the security headers
 * middleware adds the rest. A Worker started without the copied bundle answers 503 saying how to fix it.
 */
const serveDocsBundle: Handler<AppBindings> = async (c) => {
  const headers = new Headers();
  const etag = c.req.header("if-none-match");
  if (etag) headers.set("if-none-match", etag);
  const asset = await c.env.ASSETS.fetch(new URL(DOCS_BUNDLE_PATH, c.req.url), { headers });
  if (asset.status !== 200 && asset.status !== 304) {
    throw new ApiError(
      503,
      `The API reference bundle ${DOCS_BUNDLE_PATH} is missing from this Worker's assets: run \`npm run docs:assets\` (or \`npm ci\`), then restart or redeploy`,
    );
  }
  const response = new Response(asset.body, asset);
  response.headers.set("Cache-Control", "no-cache");
  return response;
};

/**
 * The `/docs` page's policy: scripts only with this response's nonce (Scalar's bundle, served by this Worker
 * at DOCS_BUNDLE_PATH, and its init script), styles inline (Scalar renders style attributes and injects
 * style elements without the nonce at run time), images from this origin and data: URLs, requests only to
 * this API, and no fonts, framing, plugins, base or form targets.
 */
export function docsContentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    "style-src 'unsafe-inline'",
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
