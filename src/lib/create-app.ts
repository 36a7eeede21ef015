import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { matchedRoutes } from "hono/route";
import { requireAuth } from "@/middlewares/auth";
import { corsForAllowedOrigins } from "@/middlewares/cors";
import { securityHeaders } from "@/middlewares/security-headers";
import { defaultHook, errorBody, handleError } from "./errors";
import type { AppBindings } from "./types";

export const MAX_BODY_BYTES = 1024 * 1024;

/** Every router shares the validation hook, so a failed check always renders as ErrorResponse. */
export function createRouter() {
  return new OpenAPIHono<AppBindings>({ strict: false, defaultHook });
}

/** Paths that answer without a bearer token (the OAuth callback is authenticated by its one-time state). */
const PUBLIC_PATHS = new Set(["/openapi.json", "/docs", "/v2/outlook/oauth/callback"]);

export function createApp() {
  const app = createRouter();
  // Outermost, so every answer gets them: errors, 404s, 413s and CORS preflights included.
  app.use(securityHeaders);
  // Before authentication: a listed origin's preflight is answered here, without a token.
  app.use(corsForAllowedOrigins);
  // Echoed as X-Request-Id and logged with every unexpected error.
  app.use(requestId());
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json(errorBody(413, `Request body exceeds the ${MAX_BODY_BYTES} byte (1 MiB) limit`), 413),
    }),
  );
  app.use(async (c, next) => {
    if (PUBLIC_PATHS.has(c.req.path) || c.req.method === "OPTIONS") return next();
    // Only middleware (method ALL) matched: no such route, so answer 404 whether or not a token came.
    if (!matchedRoutes(c).some((route) => route.method !== "ALL")) return next();
    return requireAuth(c, next);
  });
  app.notFound((c) => c.json(errorBody(404, `No route for ${c.req.method} ${c.req.path}`), 404));
  app.onError(handleError);
  return app;
}
