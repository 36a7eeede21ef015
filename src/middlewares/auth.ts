import { createMiddleware } from "hono/factory";
import { servicesFor } from "@/entry/services";
import { authenticate } from "@/features/auth/authenticate";
import type { AppBindings } from "@/lib/types";

/** Requires a valid bearer token and puts the caller's org and user on the context. */
export const requireAuth = createMiddleware<AppBindings>(async (c, next) => {
  const auth = await authenticate(
    c.req.header("authorization"),
    { epilotOrgId: c.req.header("x-epilot-org-id"), ivyOrgId: c.req.header("x-ivy-org-id") },
    // The authentication gate runs before the middleware that sets the request's services (src/app.ts).
    servicesFor(c.env),
    c.req.url,
  );
  c.set("auth", auth);
  await next();
});
