import { createMiddleware } from "hono/factory";
import { servicesOnSession } from "@/entry/services";
import { badRequest } from "@/lib/errors";
import type { AppBindings } from "@/lib/types";

/** The header a response carries its D1 bookmark in, and a client sends it back in to read its own writes. */
export const BOOKMARK_HEADER = "x-d1-bookmark";

/** A bookmark as D1 issues them (three 8-digit hex groups and a 32-digit one); anything else never came from here. */
const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;

/**
 * Every request's control-plane queries run in one D1 session (read replication): a GET or HEAD may read
 * from any replica ("first-unconstrained"), a write starts on the primary ("first-primary"). The response
 * carries the session's bookmark; a client that sends it back (on a GET) reads from a replica at least as
 * new as that bookmark, so it sees its own writes. The request's services are rebound to the session.
 * `primaryGets`: GET paths that write, or read what a redirect just wrote and cannot carry a bookmark
 * (the Microsoft 365 sign-in flow): they run on the primary like writes.
 */
export function d1Session(primaryGets: ReadonlySet<string>) {
  return createMiddleware<AppBindings>(async (c, next) => {
    const given = c.req.header(BOOKMARK_HEADER);
    if (given !== undefined && !BOOKMARK.test(given)) {
      throw badRequest(`${BOOKMARK_HEADER}: not a bookmark this API returned (send the header's value unchanged)`);
    }
    const reads = (c.req.method === "GET" || c.req.method === "HEAD") && !primaryGets.has(c.req.path);
    // A write goes to the primary, which is as new as any bookmark.
    const session = c.env.DB.withSession(reads ? (given ?? "first-unconstrained") : "first-primary");
    c.set("services", servicesOnSession(c.get("services"), session));
    await next();
    const bookmark = session.getBookmark();
    if (bookmark) c.header(BOOKMARK_HEADER, bookmark);
  });
}
