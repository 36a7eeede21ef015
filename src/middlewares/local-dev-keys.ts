import { createMiddleware } from "hono/factory";
import { servicesFor } from "@/entry/services";
import { isLoopbackHost } from "@/features/auth/authenticate";
import { envForRequest } from "@/lib/token-keys";
import type { AppBindings } from "@/lib/types";

/**
 * Gives the request the env view that knows whether the Worker was reached at localhost, where `npm start`
 * runs it. Every seal and open reads its keys through that view (src/lib/token-keys.ts), so the development
 * key of `.dev.vars.example` is refused off localhost by every operation that uses it, whatever its path, and
 * left alone by those that seal nothing. The request's services (`c.get("services")`) are built from that view.
 */
export const markRequestHost = createMiddleware<AppBindings>(async (c, next) => {
  c.env = envForRequest(c.env, isLoopbackHost(new URL(c.req.url).hostname));
  c.set("services", servicesFor(c.env));
  await next();
});
