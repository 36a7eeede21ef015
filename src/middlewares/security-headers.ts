import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";
import type { AppBindings } from "@/lib/types";

/**
 * Headers every response carries, errors included (this runs outermost, after everything else):
 * `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`, HSTS,
 * cross-origin isolation headers, and a CSP that allows nothing (`default-src 'none'; frame-ancestors
 * 'none'`). A response that sets its own CSP (the `/docs` page) keeps it. API answers carry tenant data
 * and the connect flow's state and URLs, so they are `Cache-Control: no-store` unless a handler says
 * otherwise.
 */
const baseline = secureHeaders({
  xFrameOptions: "DENY",
  referrerPolicy: "no-referrer",
  strictTransportSecurity: "max-age=31536000",
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  // Keep a header a handler chose for its own response (the /docs CSP with its nonce).
  overwrite: false,
});

export const securityHeaders = createMiddleware<AppBindings>(async (c, next) => {
  await baseline(c, next);
  if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
});
