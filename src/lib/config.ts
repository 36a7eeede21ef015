import { z } from "@hono/zod-openapi";

/**
 * The one config module: every var the Worker reads, with its type and its default, in one zod schema.
 * Vars arrive as strings (wrangler.toml [vars], secrets, test bindings); an unset, blank or invalid value
 * means the default, so a blank entry never turns into 0 or "". `wrangler.toml` [vars] lists the same
 * defaults and `npm run check` (scripts/check-config.mjs) fails when the two disagree.
 *
 * Read it through `appConfig(env)` only. Required vars without a default (the Microsoft app, the token
 * keys) stay optional here; the feature that needs them answers 503 naming the missing ones.
 */

/** A trimmed string; blank or absent: the default. */
const text = (fallback = "") =>
  z.preprocess((v) => (typeof v === "string" && v.trim() ? v.trim() : undefined), z.string().default(fallback));

/** A secret: kept as given (never trimmed into another value), absent when blank. */
const secret = () => z.preprocess((v) => (typeof v === "string" && v.trim() ? v : undefined), z.string().optional());

/** A number within bounds; blank, non-numeric or out of range: the default (above `max`: `max`). */
const number = (fallback: number, rule: { positive?: boolean; integer?: boolean; max?: number } = {}) =>
  z.preprocess((v) => {
    if (typeof v === "number") return v;
    if (typeof v !== "string" || !v.trim()) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || (rule.positive && n === 0) || (rule.integer && !Number.isInteger(n))) {
      return undefined;
    }
    return rule.max === undefined ? n : Math.min(n, rule.max);
  }, z.number().default(fallback));

/** A comma-separated list: trimmed, blanks dropped. */
const list = (fallback: string) =>
  z.preprocess(
    (v) => (typeof v === "string" && v.trim() ? v : fallback),
    z.string().transform((v) =>
      v
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean),
    ),
  );

/** The platform's own domain, also the default of the DNS targets below. */
export const PLATFORM_DOMAIN = "epilot.cloud";

export const ConfigSchema = z.object({
  // Bearer tokens (README "Authentication and tenancy").
  JWT_JWKS_URL: text(),
  JWT_ISSUER: text(),
  JWT_AUDIENCE: text(),
  JWT_ALGORITHMS: list("RS256,ES256"),
  JWT_CLOCK_SKEW_SECONDS: number(60),
  JWKS_CACHE_TTL_SECONDS: number(600),
  JWKS_FETCH_TIMEOUT_MS: number(5000, { positive: true }),
  JWT_MAX_TOKEN_LIFETIME_SECONDS: number(86_400, { positive: true }),
  JWT_DEV_SECRET: secret(),
  CORS_ALLOWED_ORIGINS: list(""),
  EPILOT_EMAIL_DOMAIN: text(PLATFORM_DOMAIN),
  // Custom domains (README "Custom domains").
  DOH_URL: text("https://cloudflare-dns.com/dns-query"),
  DOH_TIMEOUT_MS: number(4000, { positive: true, integer: true, max: 30_000 }),
  PLATFORM_NAME_SERVERS: list(`ns1.${PLATFORM_DOMAIN},ns2.${PLATFORM_DOMAIN}`),
  INBOUND_MX_HOST: text(`inbound.${PLATFORM_DOMAIN}`),
  SPF_INCLUDE: text(`spf.${PLATFORM_DOMAIN}`),
  DKIM_TARGET_DOMAIN: text(`dkim.${PLATFORM_DOMAIN}`),
  DOMAIN_RECHECK_BATCH_SIZE: number(25, { positive: true, integer: true, max: 1000 }),
  DOMAINS_PER_ORG_MAX: number(50, { positive: true, integer: true, max: 10_000 }),
  // Legacy settings (README "Behaviour notes"): most signatures / email_address / whitelist settings per org.
  SETTINGS_PER_TYPE_MAX: number(100, { positive: true, integer: true, max: 10_000 }),
  // Microsoft 365 (README "Microsoft 365").
  MS_CLIENT_ID: text(),
  MS_CLIENT_SECRET: secret(),
  MS_REDIRECT_URI: text(),
  MS_LOGIN_BASE_URL: text("https://login.microsoftonline.com"),
  MS_GRAPH_BASE_URL: text("https://graph.microsoft.com/v1.0"),
  MS_GRAPH_RESOURCE: text(),
  MS_TENANT: text("organizations"),
  TOKEN_ENCRYPTION_KEYS: secret(),
  // "true" only under `npm start` (.dev.vars.example): queue, cron and Durable Object work, which has no request
  // host to tell it runs on a developer's machine, may then use the development key (src/lib/token-keys.ts).
  LOCAL_DEVELOPMENT: text("false"),
  // Mailbox import (README "Outlook mailboxes and sync").
  MAILBOX_BODY_MAX_CHARS: number(65_536, { positive: true, integer: true }),
  MAILBOX_SYNC_LEASE_SECONDS: number(600, { positive: true }),
  // Message store (README "Message store"): bigger attachments are recorded `skipped`.
  MAILBOX_ATTACHMENT_MAX_BYTES: number(26_214_400, { positive: true, integer: true }),
  // Rows with a D1 body (from before the store) the hourly cron moves to R2 per run.
  MESSAGE_STORE_BACKFILL_BATCH: number(200, { positive: true, integer: true, max: 5_000 }),
  // The move of mailboxes' mail from D1 into their Durable Objects: mailboxes started per hourly run, rows per step.
  MAILBOX_MOVE_MAILBOXES: number(50, { positive: true, integer: true, max: 1_000 }),
  MAILBOX_MOVE_CHUNK_ROWS: number(500, { positive: true, integer: true, max: 1_000 }),
  // Live mailbox sync (README "Live sync").
  PUBLIC_BASE_URL: text(),
  MAILBOX_POLL_INTERVAL_SECONDS: number(60, { positive: true, integer: true, max: 86_400 }),
  MAILBOX_BACKSTOP_POLL_SECONDS: number(1200, { positive: true, integer: true, max: 86_400 }),
  MAILBOX_SUBSCRIPTION_LIFETIME_MINUTES: number(4200, { positive: true, max: 4230 }),
  // Outbound webhooks (README "Webhooks").
  WEBHOOK_RETRY_DELAYS_SECONDS: list("0,5,300,1800,7200,18000,36000,36000"),
  WEBHOOK_ALLOW_INSECURE_URLS: text("false"),
  WEBHOOK_TIMEOUT_MS: number(15_000, { positive: true, integer: true, max: 60_000 }),
  WEBHOOK_ENDPOINTS_PER_ORG_MAX: number(20, { positive: true, integer: true, max: 1000 }),
  WEBHOOK_ENDPOINT_CONCURRENCY: number(4, { positive: true, integer: true, max: 50 }),
  WEBHOOK_DISABLE_AFTER_FAILING_SECONDS: number(432_000, { positive: true, integer: true }),
});

export type AppConfig = z.output<typeof ConfigSchema>;

/** Names of the vars with their defaults as wrangler.toml [vars] should list them (secrets excluded). */
export const CONFIG_SECRETS = ["JWT_DEV_SECRET", "MS_CLIENT_SECRET", "TOKEN_ENCRYPTION_KEYS"] as const;

const cache = new WeakMap<object, AppConfig>();

/**
 * The typed config of an env. Parsed once per env object (an isolate's env is one object; a test's
 * per-request override is another) and never throws: every field has a default or is optional.
 */
export function appConfig(env: object): AppConfig {
  let config = cache.get(env);
  if (!config) {
    config = ConfigSchema.parse(env);
    cache.set(env, config);
  }
  return config;
}
