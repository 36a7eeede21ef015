import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import { appConfig } from "@/lib/config";
import { logEvent } from "@/lib/log";
import type { AppBindings } from "@/lib/types";

/**
 * CORS for the browser apps listed in `CORS_ALLOWED_ORIGINS` (comma-separated exact origins). Only a
 * listed `Origin` gets CORS headers, including `Access-Control-Allow-Credentials` (hono/cors would send
 * that one to every origin, so it only runs for listed ones); its preflight is answered here, 204,
 * before authentication. Other origins get no CORS headers at all, so the browser keeps the response
 * from them. With the list empty the API sends no CORS headers whatsoever.
 */
const listedOriginCors = cors({
  origin: (origin) => origin,
  credentials: true,
  allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
  allowHeaders: ["authorization", "content-type", "x-epilot-org-id", "x-ivy-org-id", "x-d1-bookmark"],
  exposeHeaders: ["X-Request-Id", "x-d1-bookmark"],
  maxAge: 600,
});

export const corsForAllowedOrigins = createMiddleware<AppBindings>(async (c, next) => {
  const allowed = allowedOrigins(appConfig(c.env).CORS_ALLOWED_ORIGINS);
  if (allowed.size === 0) return next();
  const origin = c.req.header("origin");
  if (origin && allowed.has(origin)) return listedOriginCors(c, next);
  await next();
  // The answer depends on the Origin (CORS headers or none), so caches must keep them apart.
  c.res.headers.append("Vary", "Origin");
});

/** Keyed by the config's list, which appConfig parses once per env: the origins are judged once per env. */
const parsed = new WeakMap<readonly string[], Set<string>>();

/**
 * The configured origins (`CORS_ALLOWED_ORIGINS` as appConfig lists it: trimmed, blanks dropped), as a
 * set. Entries that are not an origin are dropped and logged.
 */
function allowedOrigins(entries: readonly string[]): Set<string> {
  const cached = parsed.get(entries);
  if (cached) return cached;
  const origins = new Set<string>();
  const rejected: string[] = [];
  for (const entry of entries) {
    const origin = asOrigin(entry);
    if (origin) origins.add(origin);
    else rejected.push(entry.slice(0, 200));
  }
  if (rejected.length > 0) {
    logEvent("warn", "cors_origin_ignored", {
      rejected,
      message: "CORS_ALLOWED_ORIGINS entries must be exact origins like https://app.example.com (no * or paths)",
    });
  }
  parsed.set(entries, origins);
  return origins;
}

/** `https://host[:port]` as a browser sends it in `Origin`, or undefined (wildcards, `null`, paths). */
function asOrigin(entry: string): string | undefined {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  if (url.username || url.password || url.search || url.hash || url.pathname !== "/") return undefined;
  if (url.hostname.includes("*")) return undefined;
  return url.origin;
}
