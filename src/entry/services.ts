import { getDb } from "@/db/client";
import { appConfig } from "@/lib/config";
import type { Services } from "@/lib/services";
import { tokenEncryptionKeys } from "@/lib/token-keys";
import type { AppEnv } from "@/lib/types";

const built = new WeakMap<object, Services>();

/**
 * The features' dependencies (src/lib/services.ts) for an env, built once per env object: an isolate's env
 * is one object, a request's host-marked view (src/middlewares/local-dev-keys.ts) another, so the
 * development-key rule still sees whether a request reached localhost. Besides the request middlewares (CORS,
 * the D1 session), the docs asset and the Durable Object's constructor, the only place that reads bindings.
 */
export function servicesFor(env: AppEnv): Services {
  let services = built.get(env);
  if (!services) {
    services = {
      db: getDb(env.DB),
      d1: env.DB,
      config: appConfig(env),
      tokenKeys: () => tokenEncryptionKeys(env),
      messageContent: env.MESSAGE_STORE,
      queues: { mailboxSync: env.MAILBOX_SYNC_QUEUE, webhookDeliveries: env.WEBHOOK_DELIVERY_QUEUE },
      mailboxObjects: env.MAILBOX_SYNC_LOCK,
      now: () => new Date(),
    };
    built.set(env, services);
  }
  return services;
}

/**
 * The services of one request whose control-plane queries run in a D1 session (src/middlewares/d1-session.ts):
 * the same services with the database handles bound to the session. drizzle and the stores call only
 * `prepare` and `batch`, which a session has as the database does.
 */
export function servicesOnSession(services: Services, session: D1DatabaseSession): Services {
  const d1 = session as unknown as D1Database;
  return { ...services, d1, db: getDb(d1) };
}
