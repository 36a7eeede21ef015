import { createMiddleware } from "hono/factory";
import { servicesOnSession } from "@/entry/services";
import { badRequest } from "@/lib/errors";
import type { AppBindings } from "@/lib/types";

/** The header a response carries its D1 bookmark in, and a client sends it back in to read its own writes. */
export const BOOKMARK_HEADER = "x-d1-bookmark";

/** A bookmark as D1 issues them (hex groups joined by dashes); anything else never came from this API. */
const BOOKMARK = /^[0-9a-fA-F-]{8,128}$/;

/**
 * Every request's control-plane queries run in one D1 session (read replication): a GET or HEAD may read
 * from any replica ("first-unconstrained"), a write starts on the primary ("first-primary"). The response
 * carries the session's bookmark; a client that sends it back (on a GET) reads from a replica at least as
 * new as that bookmark, so it sees its own writes. The request's services are rebound to the session.
 */
export const d1Session = createMiddleware<AppBindings>(async (c, next) => {
  const given = c.req.header(BOOKMARK_HEADER);
  if (given !== undefined && !BOOKMARK.test(given)) {
    throw badRequest(`${BOOKMARK_HEADER}: not a bookmark this API returned (send the header's value unchanged)`);
  }
  const reads = c.req.method === "GET" || c.req.method === "HEAD";
  // A write goes to the primary, which is as new as any bookmark.
  const session = c.env.DB.withSession(reads ? (given ?? "first-unconstrained") : "first-primary");
  c.set("services", servicesOnSession(c.get("services"), session));
  await next();
  const bookmark = session.getBookmark();
  if (bookmark) c.header(BOOKMARK_HEADER, bookmark);
});
