import { createMiddleware } from "hono/factory";
import { appConfig } from "@/lib/config";
import { ApiError } from "@/lib/errors";
import { logEvent } from "@/lib/log";
import type { AppBindings } from "@/lib/types";
import { isLoopbackHost } from "@/services/auth/authenticate";

/**
 * `.dev.vars.example` ships a token encryption key so the Outlook flow works under `npm start`. Its id
 * says what it is; anything sealed with it is readable by anyone with the repository. It is honoured only on
 * a Worker reached at localhost: elsewhere the Outlook operations answer 503 before anything is sealed, and
 * the first such request per isolate logs a SECURITY warning. (Queue and cron work only open what these
 * operations sealed, so refusing here keeps the key out of every deployed database.)
 */
export const LOCAL_DEV_KEY_ID = "local-dev-only";

let warned = false;

export const refuseLocalDevKeysOffLocalhost = createMiddleware<AppBindings>(async (c, next) => {
  const keys = appConfig(c.env).TOKEN_ENCRYPTION_KEYS ?? "";
  const usesDevKey = keys.split(",").some((entry) => entry.trim().startsWith(`${LOCAL_DEV_KEY_ID}:`));
  if (usesDevKey && !isLoopbackHost(new URL(c.req.url).hostname)) {
    if (!warned) {
      warned = true;
      logEvent("warn", "local_dev_encryption_key_on_non_local_deployment", {
        message:
          "SECURITY: TOKEN_ENCRYPTION_KEYS holds the development key from .dev.vars.example on a non-local " +
          "deployment; Outlook operations answer 503 until a real key is set (wrangler secret put TOKEN_ENCRYPTION_KEYS).",
      });
    }
    throw new ApiError(
      503,
      "Token encryption is misconfigured: TOKEN_ENCRYPTION_KEYS holds the development key from .dev.vars.example, " +
        "which works on localhost only; set a real key with `wrangler secret put TOKEN_ENCRYPTION_KEYS`",
    );
  }
  await next();
});
