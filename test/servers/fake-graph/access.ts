import { type Ctx, graphError, json, notFoundInStore, sleep } from "./http";
import { type FakeMailbox, findMailbox, tenantOf } from "./state";

/** Who calls: the tenant of the bearer token and whether it is an app-only (client credentials) token. */
export interface Caller {
  tenant: string;
  appOnly: boolean;
  /** A JWT's `roles` claim (application permissions; [] without one); null for the `fake-graph*` tokens. */
  roles: string[] | null;
  /** `Prefer: IdType="ImmutableId"` was sent. */
  immutable: boolean;
  prefer: string;
}

/**
 * Bearer tokens: `fake-graph:<tenant>` (delegated), `fake-graph-app:<tenant>` (app-only), or a JWT from the
 * identity platform stand-in (test/servers/oauth-server.ts; not verified): its `tid`, app-only when it
 * names no user (`scp`/`preferred_username` absent, as client-credentials tokens do), and its `roles`.
 */
export function callerOf(ctx: Ctx): Caller | null {
  const auth = ctx.req.headers.authorization ?? "";
  const prefer = String(ctx.req.headers.prefer ?? "");
  const immutable = /IdType="ImmutableId"/i.test(prefer);
  const simple = /^Bearer fake-graph(-app)?:(.+)$/.exec(auth);
  if (simple) {
    return { tenant: (simple[2] ?? "").toLowerCase(), appOnly: !!simple[1], roles: null, immutable, prefer };
  }
  const jwt = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(auth);
  if (!jwt) return null;
  try {
    const claims = JSON.parse(Buffer.from(jwt[2] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
    if (typeof claims.tid !== "string") return null;
    const appOnly = claims.scp === undefined && claims.preferred_username === undefined;
    const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === "string") : [];
    return { tenant: claims.tid.toLowerCase(), appOnly, roles, immutable, prefer };
  } catch {
    return null;
  }
}

export const unauthenticated = (ctx: Ctx) =>
  graphError(ctx.res, 401, "InvalidAuthenticationToken", "Access token is empty or invalid");

/** Application permissions that let an app-only caller read any mailbox of its tenant. */
const MAIL_APP_ROLES = new Set(["Mail.Read", "Mail.ReadWrite"]);

/**
 * Whether an app-only caller may reach mailboxes: the tenant's `appOnlyConsent` when a test set it (true: a
 * grant whatever the token says; false: a revoked grant Graph enforces), otherwise what the token carries,
 * as Graph decides: a Mail.Read or Mail.ReadWrite role. A `fake-graph-app:` token carries none.
 */
function appOnlyAllowed(caller: Caller): boolean {
  const consent = tenantOf(caller.tenant).appOnlyConsent;
  if (consent !== null) return consent;
  return caller.roles?.some((role) => MAIL_APP_ROLES.has(role)) ?? false;
}

/**
 * The mailbox `idOrEmail` as `caller` may see it, or answers the error Graph would (and returns null):
 * unknown or another tenant's mailbox 404; an app-only caller without a mail application permission 403.
 */
export function mailboxFor(ctx: Ctx, caller: Caller, idOrEmail: string): FakeMailbox | null {
  const mailbox = findMailbox(idOrEmail);
  if (!mailbox || mailbox.tenant !== caller.tenant) {
    notFoundInStore(ctx.res);
    return null;
  }
  if (caller.appOnly && !appOnlyAllowed(caller)) {
    graphError(ctx.res, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
    return null;
  }
  if (caller.appOnly && mailbox.access === "app_only_denied") {
    graphError(
      ctx.res,
      403,
      "ErrorAccessDenied",
      "Access to OData is disabled: blocked by tenant configured AppOnly AccessPolicy settings.",
    );
    return null;
  }
  return mailbox;
}

/** The answer (worked out now) is sent once `release` settles: `end` waits, headers are not sent before it. */
function holdAnswer(ctx: Ctx, mailbox: FakeMailbox, release: Promise<void>) {
  const res = ctx.res;
  const end = res.end.bind(res) as (...args: unknown[]) => unknown;
  mailbox.stats.held++;
  res.end = ((...args: unknown[]) => {
    void release.then(() => {
      mailbox.stats.held--;
      end(...args);
    });
    return res;
  }) as typeof res.end;
}

/**
 * Runs `fn` as one Graph request on the mailbox: counted under `kind`, delayed like a network hop, and
 * subject to the injected throttling and access errors.
 */
export async function onMailbox(
  ctx: Ctx,
  mailbox: FakeMailbox,
  caller: Caller,
  kind: string,
  fn: () => Promise<void> | void,
) {
  const stats = mailbox.stats;
  stats.requests[kind] = (stats.requests[kind] ?? 0) + 1;
  if (!caller.immutable) stats.withoutImmutableId++;
  stats.inFlight++;
  stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
  try {
    await sleep(mailbox.delayMs || 5); // let concurrent requests overlap, as over a network
    if (mailbox.throttle.count > 0 && (!mailbox.throttle.kinds || mailbox.throttle.kinds.includes(kind))) {
      mailbox.throttle.count--;
      stats.throttled++;
      return json(
        ctx.res,
        mailbox.throttle.status,
        { error: { code: "TooManyRequests", message: "Please retry later" } },
        { "retry-after": String(mailbox.throttle.retryAfter) },
      );
    }
    if (mailbox.access === "forbidden") return graphError(ctx.res, 403, "ErrorAccessDenied", "Access is denied.");
    if (mailbox.access === "rest_disabled") {
      return graphError(
        ctx.res,
        404,
        "MailboxNotEnabledForRESTAPI",
        "The mailbox is either inactive or hosted on-premise.",
      );
    }
    if (mailbox.hold?.kinds.includes(kind)) holdAnswer(ctx, mailbox, mailbox.hold.release);
    await fn();
  } finally {
    stats.inFlight--;
  }
}
