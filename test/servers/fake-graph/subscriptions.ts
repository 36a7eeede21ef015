import { type Caller, mailboxFor, onMailbox } from "./access";
import { type Ctx, graphError, json, noContent, readJson } from "./http";
import { dropForSubscription, HANDSHAKE_DEADLINE_MS, send } from "./outbox";
import {
  type FakeMailbox,
  type FakeSubscription,
  type Folder,
  findMailbox,
  liveSubscription,
  liveSubscriptions,
  MAX_SUBSCRIPTION_MINUTES,
  now,
  subscriptions,
  tenantOf,
} from "./state";

/**
 * `/subscriptions`, as Microsoft documents them for Outlook messages:
 *
 * - `POST /subscriptions` {changeType (created,updated,deleted), resource (`users/{id|email}/mailFolders('inbox')/messages`,
 *   `mailFolders/inbox/messages`, `('sentitems')`, or `users/{id}/messages`), notificationUrl (https),
 *   lifecycleNotificationUrl?, clientState? (<= 128 chars), expirationDateTime}: at most 4,230 minutes ahead
 *   (else 400); under the tenant's minimum (Microsoft: 45 minutes) it is raised to it. Delegated tokens
 *   cannot subscribe to another user's or a shared mailbox: 403 for any mailbox; app-only tokens only
 *   when the tenant granted application consent (`POST /__tenants/{tenant}`), else 403.
 *   Then the validation handshake: Graph POSTs `{url}?validationToken=<token>` (text/plain) to the
 *   notificationUrl and the lifecycleNotificationUrl and needs 200, `text/plain`, the decoded token as the
 *   body, within 10 s; else 400 and nothing is created. 201 with the subscription.
 * - `PATCH /subscriptions/{id}` {expirationDateTime} renews (same limits; also ends a paused state);
 *   `POST /subscriptions/{id}/reauthorize` 204; `DELETE /subscriptions/{id}` 204; `GET /subscriptions`
 *   (the caller's tenant, paged) and `GET /subscriptions/{id}`. An expired subscription is gone (404).
 */

const RESOURCE = /^\/?users\/([^/]+)\/(?:mailFolders(?:\('([^']+)'\)|\/([^/]+))\/)?messages$/i;
const ALLOWED_CHANGES = new Set(["created", "updated", "deleted"]);

export function parseResource(resource: string): { mailbox: string; folder: Folder | null } | "invalid" {
  const match = RESOURCE.exec(resource.trim());
  if (!match) return "invalid";
  const folder = (match[2] ?? match[3] ?? null)?.toLowerCase() ?? null;
  if (folder !== null && folder !== "inbox" && folder !== "sentitems") return "invalid";
  return { mailbox: decodeURIComponent(match[1] ?? "").toLowerCase(), folder: folder as Folder | null };
}

export function graphView(sub: FakeSubscription) {
  return {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity",
    id: sub.id,
    resource: sub.resource,
    applicationId: "6f1c2a8e-0c7b-4f6e-9d55-3b1f0e2a7c10",
    changeType: sub.changeType,
    clientState: sub.clientState,
    notificationUrl: sub.notificationUrl,
    lifecycleNotificationUrl: sub.lifecycleNotificationUrl,
    expirationDateTime: sub.expirationDateTime,
    creatorId: sub.appOnly ? "service-principal" : "user",
    includeResourceData: false,
    latestSupportedTlsVersion: "v1_2",
    notificationUrlAppId: null,
  };
}

function isHttps(value: unknown): value is string {
  if (typeof value !== "string") return false;
  try {
    return new URL(value).protocol === "https:";
  } catch {
    return false;
  }
}

/** The expiration Graph accepts for `value`, or an error message. */
function expiration(value: unknown, tenant: string): string | { error: string } {
  const at = typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(at)) return { error: "expirationDateTime is required and must be a date." };
  const t = now();
  if (at > t + MAX_SUBSCRIPTION_MINUTES * 60_000) {
    return { error: `Subscription expiration can only be ${MAX_SUBSCRIPTION_MINUTES} minutes in the future.` };
  }
  const min = t + tenantOf(tenant).minExpirationMinutes * 60_000;
  return new Date(Math.max(at, min)).toISOString();
}

/** The validation handshake against one URL: true when the Worker echoed the token in time. */
async function validate(url: string, mailbox: FakeMailbox, subscriptionId: string): Promise<boolean> {
  const token = `Validation: Testing client application reachability for subscription Request-Id: ${crypto.randomUUID()}`;
  const target = new URL(url);
  target.searchParams.set("validationToken", token);
  const sent = send(
    {
      url: target.toString(),
      headers: { "content-type": "text/plain; charset=utf-8" },
      body: "",
      purpose: "validation",
      tenant: mailbox.tenant,
      mailbox: mailbox.email,
      subscription_id: subscriptionId,
    },
    { deadlineMs: HANDSHAKE_DEADLINE_MS, answerWithinMs: HANDSHAKE_DEADLINE_MS },
  );
  const answer = await sent.answer;
  if (!answer) return false;
  const type = Object.entries(answer.headers).find(([k]) => k.toLowerCase() === "content-type")?.[1] ?? "";
  return answer.status === 200 && /^text\/plain\b/i.test(type) && answer.body === token;
}

type Body = Record<string, unknown>;

function checkCreate(body: Body): string | null {
  const changes = typeof body.changeType === "string" ? body.changeType.split(",").map((c) => c.trim()) : [];
  if (!changes.length || changes.some((c) => !ALLOWED_CHANGES.has(c))) {
    return "changeType must be a comma-separated list of created, updated, deleted.";
  }
  if (!isHttps(body.notificationUrl)) return "notificationUrl must be an absolute https URL.";
  if (body.lifecycleNotificationUrl !== undefined && !isHttps(body.lifecycleNotificationUrl)) {
    return "lifecycleNotificationUrl must be an absolute https URL.";
  }
  if (body.clientState !== undefined && (typeof body.clientState !== "string" || body.clientState.length > 128)) {
    return "clientState must be a string of at most 128 characters.";
  }
  return null;
}

async function create(ctx: Ctx, caller: Caller) {
  const body = await readJson(ctx.req);
  const target = typeof body.resource === "string" ? parseResource(body.resource) : "invalid";
  if (target === "invalid") return graphError(ctx.res, 400, "InvalidRequest", "Unsupported subscription resource.");
  const mailbox = mailboxFor(ctx, caller, target.mailbox);
  if (!mailbox) return;
  await onMailbox(ctx, mailbox, caller, "subscription", async () => {
    if (!caller.appOnly) {
      const reason = "Access is denied. Check credentials and try again.";
      return graphError(
        ctx.res,
        403,
        "ExtensionError",
        `Operation: Create; Exception: [Status Code: Forbidden; Reason: ${reason}]`,
      );
    }
    const problem = checkCreate(body);
    if (problem) return graphError(ctx.res, 400, "InvalidRequest", problem);
    const expires = expiration(body.expirationDateTime, mailbox.tenant);
    if (typeof expires !== "string") return graphError(ctx.res, 400, "InvalidRequest", expires.error);
    const id = crypto.randomUUID();
    const urls = [body.notificationUrl, body.lifecycleNotificationUrl].filter(
      (u): u is string => typeof u === "string",
    );
    const results = await Promise.all(urls.map((u) => validate(u, mailbox, id)));
    if (results.some((ok) => !ok)) {
      return graphError(
        ctx.res,
        400,
        "ValidationError",
        "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.",
      );
    }
    const sub: FakeSubscription = {
      id,
      tenant: mailbox.tenant,
      mailbox: mailbox.email,
      folder: target.folder,
      resource: String(body.resource),
      changeType: String(body.changeType),
      notificationUrl: String(body.notificationUrl),
      lifecycleNotificationUrl:
        typeof body.lifecycleNotificationUrl === "string" ? body.lifecycleNotificationUrl : null,
      clientState: typeof body.clientState === "string" ? body.clientState : null,
      expirationDateTime: expires,
      immutableIds: caller.immutable,
      appOnly: caller.appOnly,
      renewals: 0,
      reauthorizations: 0,
      paused: false,
      createdBy: "graph",
    };
    subscriptions.set(id, sub);
    json(ctx.res, 201, graphView(sub));
  });
}

/** The caller's subscription `id` with its mailbox, or answers 404 and returns null. */
function own(ctx: Ctx, caller: Caller, id: string): { sub: FakeSubscription; mailbox: FakeMailbox } | null {
  const sub = liveSubscription(id);
  const mailbox = sub?.mailbox ? findMailbox(sub.mailbox) : undefined;
  if (!sub || sub.tenant !== caller.tenant || !mailbox) {
    graphError(ctx.res, 404, "ResourceNotFound", `The object was not found (subscription ${id}).`);
    return null;
  }
  return { sub, mailbox };
}

async function manage(ctx: Ctx, caller: Caller, id: string, action: string | undefined) {
  const found = own(ctx, caller, id);
  if (!found) return;
  const { sub } = found;
  if (action === undefined && ctx.req.method === "GET") return json(ctx.res, 200, graphView(sub));
  const mailbox = mailboxFor(ctx, caller, found.mailbox.email);
  if (!mailbox) return;
  await onMailbox(ctx, mailbox, caller, "subscription", async () => {
    if (action === "reauthorize" && ctx.req.method === "POST") {
      sub.reauthorizations++;
      sub.paused = false;
      return noContent(ctx.res);
    }
    if (action !== undefined) return graphError(ctx.res, 400, "BadRequest", `Unsupported action ${action}`);
    if (ctx.req.method === "DELETE") {
      subscriptions.delete(sub.id);
      dropForSubscription(sub.id);
      return noContent(ctx.res);
    }
    if (ctx.req.method !== "PATCH") return graphError(ctx.res, 405, "BadRequest", "Method not allowed");
    const body = await readJson(ctx.req);
    const expires = expiration(body.expirationDateTime, sub.tenant);
    if (typeof expires !== "string") return graphError(ctx.res, 400, "InvalidRequest", expires.error);
    sub.expirationDateTime = expires;
    sub.renewals++;
    sub.paused = false;
    json(ctx.res, 200, graphView(sub));
  });
}

function list(ctx: Ctx, caller: Caller) {
  const all = liveSubscriptions().filter((s) => s.tenant === caller.tenant);
  const size = Math.max(1, Math.min(Number(/odata\.maxpagesize=(\d+)/.exec(caller.prefer)?.[1] ?? 100), 100));
  const skip = Number(ctx.url.searchParams.get("$skiptoken") ?? 0);
  const body: Record<string, unknown> = { value: all.slice(skip, skip + size).map(graphView) };
  if (skip + size < all.length) {
    const next = new URL(ctx.url.toString());
    next.searchParams.set("$skiptoken", String(skip + size));
    body["@odata.nextLink"] = next.toString();
  }
  return json(ctx.res, 200, body);
}

/** Routes `/v1.0/subscriptions[/{id}[/reauthorize]]`; answers false when the path is not one of them. */
export async function subscriptionRoutes(ctx: Ctx, caller: Caller): Promise<boolean> {
  const match = /^\/v1\.0\/subscriptions(?:\/([^/]+)(?:\/([^/]+))?)?$/.exec(ctx.path);
  if (!match) return false;
  const [, id, action] = match;
  if (!id) {
    if (ctx.req.method === "POST") await create(ctx, caller);
    else if (ctx.req.method === "GET") list(ctx, caller);
    else graphError(ctx.res, 405, "BadRequest", "Method not allowed");
    return true;
  }
  await manage(ctx, caller, id, action);
  return true;
}

/** Admin: a subscription Graph holds without a handshake (no notificationUrl), e.g. one left by another app. */
export function adminSubscription(body: Body) {
  const resource = String(body.resource);
  const target = parseResource(resource);
  const mailbox = target === "invalid" ? undefined : findMailbox(target.mailbox);
  const id = crypto.randomUUID();
  subscriptions.set(id, {
    id,
    tenant: String(body.tenant ?? mailbox?.tenant ?? "").toLowerCase(),
    mailbox: mailbox?.email ?? null,
    folder: target === "invalid" ? null : target.folder,
    resource,
    changeType: String(body.changeType ?? "created,updated,deleted"),
    notificationUrl: null,
    lifecycleNotificationUrl: null,
    clientState: null,
    expirationDateTime: new Date(now() + MAX_SUBSCRIPTION_MINUTES * 60_000).toISOString(),
    immutableIds: true,
    appOnly: true,
    renewals: 0,
    reauthorizations: 0,
    paused: false,
    createdBy: "admin",
  });
  return id;
}
