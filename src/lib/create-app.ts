import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { matchedRoutes } from "hono/route";
import { defaultHook, errorBody, handleError } from "./errors";
import type { AppBindings } from "./types";

export const MAX_BODY_BYTES = 1024 * 1024;

/** Every router shares the validation hook, so a failed check always renders as ErrorResponse. */
export function createRouter() {
  return new OpenAPIHono<AppBindings>({ strict: false, defaultHook });
}

type Middleware = MiddlewareHandler<AppBindings>;

export interface AppOptions {
  /** Run first, in order, for every request: errors, 404s, 413s and preflights included. */
  outermost: Middleware[];
  /** Runs for every matched route except `publicPaths` and preflights. */
  authenticate: Middleware;
  /** Paths that answer without a bearer token. */
  publicPaths: ReadonlySet<string>;
}

/**
 * The app shell every request passes: the given outermost middleware, a request id, the body limit, the
 * authentication gate, and one error envelope for unknown routes and thrown errors. The feature
 * middleware comes in as arguments (src/app.ts wires it), so lib depends on no feature.
 */
export function createApp({ outermost, authenticate, publicPaths }: AppOptions) {
  const app = createRouter();
  for (const middleware of outermost) app.use(middleware);
  // Echoed as X-Request-Id and logged with every unexpected error.
  app.use(requestId());
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json(errorBody(413, `Request body exceeds the ${MAX_BODY_BYTES} byte (1 MiB) limit`), 413),
    }),
  );
  app.use(async (c, next) => {
    if (publicPaths.has(c.req.path) || c.req.method === "OPTIONS") return next();
    // Only middleware (method ALL) matched: no such route, so answer 404 whether or not a token came.
    if (!matchedRoutes(c).some((route) => route.method !== "ALL")) return next();
    return authenticate(c, next);
  });
  app.notFound((c) => c.json(errorBody(404, `No route for ${c.req.method} ${c.req.path}`), 404));
  app.onError(handleError);
  return app;
}
