import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { FLOW_COOKIE, type FlowCookieChange } from "@/features/outlook/browser-binding";
import type { AppBindings } from "@/lib/types";

/** The flow cookie the request carries (the first one, as the browser orders them), if any. */
export const readFlowCookie = (c: Context<AppBindings>): string | undefined => getCookie(c, FLOW_COOKIE.name);

/** Applies the service's decision about the flow cookie to the response; it carries a secret: no-store. */
export function writeFlowCookie(c: Context<AppBindings>, change: FlowCookieChange | undefined) {
  if (!change) return;
  const { maxAge: _maxAge, ...attributes } = FLOW_COOKIE.attributes;
  if (change.action === "set") setCookie(c, FLOW_COOKIE.name, change.secret, { ...FLOW_COOKIE.attributes });
  else deleteCookie(c, FLOW_COOKIE.name, attributes);
  c.header("Cache-Control", "no-store");
}
