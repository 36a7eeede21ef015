import { appConfig } from "./config";
import { ApiError } from "./errors";
import { logEvent } from "./log";

/** The id of the published development key in `.dev.vars.example`; it says what the key is. */
export const LOCAL_DEV_KEY_ID = "local-dev-only";

type HostKind = "loopback" | "remote";
/** The host kind an env view serves; envs without one (queue, cron, Durable Objects) serve no request. */
const servedHosts = new WeakMap<object, HostKind>();
const requestViews = new WeakMap<object, Partial<Record<HostKind, object>>>();

/**
 * The env as a request sees it: the same bindings and vars, marked with whether the Worker was reached at a
 * loopback host. One view per env and host kind, so each view's config is still parsed once.
 */
export function envForRequest<E extends object>(env: E, loopbackHost: boolean): E {
  const kind: HostKind = loopbackHost ? "loopback" : "remote";
  let views = requestViews.get(env);
  if (!views) {
    views = {};
    requestViews.set(env, views);
  }
  let view = views[kind] as E | undefined;
  if (!view) {
    view = { ...env };
    servedHosts.set(view, kind);
    views[kind] = view;
  }
  return view;
}

let warnedAboutDevKey = false;

/**
 * `TOKEN_ENCRYPTION_KEYS` as every sealing and opening reads it. Anything sealed with the development key of
 * `.dev.vars.example` is readable by anyone with the repository, so a key list naming it is usable only on a
 * developer's machine: for a request, when the Worker was reached at localhost (a deployment never is); for
 * work without a request, when LOCAL_DEVELOPMENT is "true" (`npm start` sets it). Anywhere else: a 503 before
 * anything is sealed, and one SECURITY warning per isolate.
 */
export function tokenEncryptionKeys(env: object): string | undefined {
  const config = appConfig(env);
  const keys = config.TOKEN_ENCRYPTION_KEYS;
  if (!keys || !listsLocalDevKey(keys)) return keys;
  const servedHost = servedHosts.get(env);
  const local = servedHost ? servedHost === "loopback" : config.LOCAL_DEVELOPMENT.toLowerCase() === "true";
  if (local) return keys;
  if (!warnedAboutDevKey) {
    warnedAboutDevKey = true;
    logEvent("warn", "local_dev_encryption_key_on_non_local_deployment", {
      message:
        "SECURITY: TOKEN_ENCRYPTION_KEYS holds the development key from .dev.vars.example on a non-local " +
        "deployment; nothing is sealed or opened with it until a real key is set (wrangler secret put TOKEN_ENCRYPTION_KEYS).",
    });
  }
  throw new ApiError(
    503,
    "Token encryption is misconfigured: TOKEN_ENCRYPTION_KEYS holds the development key from .dev.vars.example, " +
      (servedHost
        ? "which works on localhost only"
        : "which works only on a developer's machine (LOCAL_DEVELOPMENT=true, as `npm start` sets)") +
      "; set a real key with `wrangler secret put TOKEN_ENCRYPTION_KEYS`",
  );
}

function listsLocalDevKey(keys: string): boolean {
  return keys.split(",").some((entry) => entry.trim().startsWith(`${LOCAL_DEV_KEY_ID}:`));
}
