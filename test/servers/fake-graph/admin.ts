import { adminAttachmentView, memoryControl, newAttachment } from "./attachments";
import { createMessage, deleteMessage, moveMessage, updateMessage } from "./changes";
import { type Ctx, json, noContent, readJson } from "./http";
import { render } from "./messages";
import { sendChange, sendLifecycle } from "./notifications";
import { answer, type OutboxFilter, pendingCount, takeWaiting } from "./outbox";
import {
  clockOffset,
  type FakeMailbox,
  type FakeSubscription,
  findMessage,
  type GenerateSpec,
  generate,
  liveSubscription,
  liveSubscriptions,
  mailboxes,
  setClockOffset,
  subscriptions,
  tenantOf,
  userIdOf,
} from "./state";
import { adminSubscription } from "./subscriptions";

/** The admin API (documented in ./index.ts). Answers false when the path is not an admin path. */

/** What `PATCH /__mailboxes/{email}` reads (and `POST /__mailboxes` too): see applySettings. */
export interface FakeMailboxSettings {
  access?: FakeMailbox["access"];
  /** Immutable ids of messages Graph cannot read (500 ErrorCorruptData). */
  failing?: string[];
  throttle?: { count?: number; status?: number; retry_after?: number; kinds?: string[] };
  delay_ms?: number;
  /** Request kinds whose answers wait until a later `hold: []`. */
  hold?: string[];
  max_page_size?: number;
  next_link_host?: string;
}

/** What `POST /__mailboxes` reads: the mailbox, its generated mail (GenerateSpec) and its settings. */
export interface FakeMailboxSpec extends GenerateSpec, FakeMailboxSettings {
  email: string;
  tenant: string;
}

type Body = Record<string, unknown>;
const bad = (ctx: Ctx, error: string, status = 400) => json(ctx.res, status, { error });

function applySettings(mailbox: FakeMailbox, body: Body) {
  if (Array.isArray(body.failing)) mailbox.failing = new Set(body.failing as string[]);
  if (body.throttle && typeof body.throttle === "object") {
    const t = body.throttle as { count?: number; status?: number; retry_after?: number; kinds?: string[] };
    mailbox.throttle = {
      count: t.count ?? 0,
      status: t.status ?? 429,
      retryAfter: t.retry_after ?? 1,
      ...(Array.isArray(t.kinds) && { kinds: t.kinds.map(String) }),
    };
  }
  if (typeof body.delay_ms === "number") mailbox.delayMs = body.delay_ms;
  if (Array.isArray(body.hold)) setHold(mailbox, body.hold.map(String));
  if (typeof body.access === "string") mailbox.access = body.access as FakeMailbox["access"];
  if (typeof body.max_page_size === "number") mailbox.maxPageSize = body.max_page_size;
  if (typeof body.next_link_host === "string") mailbox.nextLinkHost = body.next_link_host;
}

/** Holds the answers of `kinds` (none: lifts the hold, sending every answer held so far). */
function setHold(mailbox: FakeMailbox, kinds: string[]) {
  mailbox.hold?.lift();
  mailbox.hold = null;
  if (kinds.length === 0) return;
  let lift = () => {};
  const release = new Promise<void>((resolve) => {
    lift = resolve;
  });
  mailbox.hold = { kinds, release, lift };
}

function createMailbox(ctx: Ctx, body: Body) {
  const email = String(body.email).toLowerCase();
  const messages = generate(email, body as GenerateSpec);
  const mailbox: FakeMailbox = {
    email,
    userId: userIdOf(email),
    tenant: String(body.tenant).toLowerCase(),
    access: "ok",
    messages,
    tombstones: { inbox: new Map(), sentitems: new Map() },
    seq: 0,
    nextN: messages.length + 1,
    deltaEpoch: 0,
    deltaFailCode: "syncStateNotFound",
    replay: { inbox: 0, sentitems: 0 },
    failing: new Set(),
    throttle: { count: 0, status: 429, retryAfter: 1 },
    delayMs: 0,
    hold: null,
    maxPageSize: null,
    nextLinkHost: null,
    notifications: [],
    stats: { requests: {}, throttled: 0, withoutImmutableId: 0, inFlight: 0, maxInFlight: 0, held: 0 },
  };
  applySettings(mailbox, body);
  mailboxes.set(email, mailbox);
  return json(ctx.res, 201, {
    email,
    user_id: mailbox.userId,
    messages: mailbox.messages.map((m) => ({
      id: m.immutableId,
      folder: m.folder,
      receivedDateTime: m.receivedDateTime,
      sentDateTime: m.sentDateTime,
    })),
  });
}

export function adminView(sub: FakeSubscription) {
  return {
    id: sub.id,
    resource: sub.resource,
    folder: sub.folder,
    changeType: sub.changeType,
    notificationUrl: sub.notificationUrl,
    lifecycleNotificationUrl: sub.lifecycleNotificationUrl,
    clientState: sub.clientState,
    expirationDateTime: sub.expirationDateTime,
    app_only: sub.appOnly,
    immutable_ids: sub.immutableIds,
    renewals: sub.renewals,
    reauthorizations: sub.reauthorizations,
    paused: sub.paused,
    created_by: sub.createdBy,
  };
}

function mailboxView(mailbox: FakeMailbox) {
  return {
    email: mailbox.email,
    user_id: mailbox.userId,
    stats: mailbox.stats,
    subscriptions: liveSubscriptions()
      .filter((s) => s.mailbox === mailbox.email)
      .map(adminView),
    notifications: mailbox.notifications,
    messages: mailbox.messages.map((m) => ({ id: m.immutableId, folder: m.folder, subject: m.subject })),
  };
}

/** `/__mailboxes/{email}/messages[/{id}[/move]]` */
async function messageRoutes(ctx: Ctx, mailbox: FakeMailbox, id: string | undefined, action: string | undefined) {
  const method = ctx.req.method;
  if (!id && method === "POST") {
    const created = createMessage(mailbox, await readJson(ctx.req));
    if (typeof created === "string") return bad(ctx, created);
    return json(ctx.res, 201, { ...render(created, true, null, false), folder: created.folder });
  }
  const m = id ? findMessage(mailbox, id) : undefined;
  if (!m) return bad(ctx, "no such message", 404);
  if (action === "attachments" && method === "POST") {
    const specs = (await readJson(ctx.req)).attachments;
    if (!Array.isArray(specs)) return bad(ctx, "attachments must be a list");
    const added = specs.map((spec) => {
      const a = newAttachment(m, spec as Body);
      m.attachments = [...(m.attachments ?? []), a];
      return a;
    });
    return json(ctx.res, 201, { attachments: added.map(adminAttachmentView) });
  }
  if (action === "move" && method === "POST") {
    const folder = (await readJson(ctx.req)).folder;
    if (folder !== "inbox" && folder !== "sentitems") return bad(ctx, "folder must be inbox or sentitems");
    moveMessage(mailbox, m, folder);
  } else if (!action && method === "PATCH") updateMessage(mailbox, m, await readJson(ctx.req));
  else if (!action && method === "DELETE") {
    deleteMessage(mailbox, m);
    return noContent(ctx.res);
  } else return bad(ctx, "unsupported", 405);
  return json(ctx.res, 200, { ...render(m, true, null, false), folder: m.folder });
}

function deltaControl(mailbox: FakeMailbox, body: Body) {
  if (typeof body.fail === "string") mailbox.deltaFailCode = body.fail;
  if (body.expire_tokens === true || typeof body.fail === "string") mailbox.deltaEpoch++;
  if (typeof body.replay === "number") mailbox.replay = { inbox: body.replay, sentitems: body.replay };
  return { delta_epoch: mailbox.deltaEpoch, fail_code: mailbox.deltaFailCode, replay: mailbox.replay };
}

async function mailboxRoutes(ctx: Ctx, rest: string[]): Promise<void> {
  const mailbox = mailboxes.get(decodeURIComponent(rest[0] ?? "").toLowerCase());
  if (!mailbox) return bad(ctx, "no such mailbox", 404);
  const [, section, id, action] = rest;
  if (section === undefined) {
    if (ctx.req.method === "PATCH") applySettings(mailbox, await readJson(ctx.req));
    return json(ctx.res, 200, mailboxView(mailbox));
  }
  if (section === "messages") return messageRoutes(ctx, mailbox, id && decodeURIComponent(id), action);
  if (section === "delta" && ctx.req.method === "POST") {
    return json(ctx.res, 200, deltaControl(mailbox, await readJson(ctx.req)));
  }
  return bad(ctx, "unsupported", 404);
}

const LIFECYCLE_EVENTS = new Set(["reauthorizationRequired", "subscriptionRemoved", "missed"]);

async function subscriptionAdmin(ctx: Ctx, sub: FakeSubscription, action: string | undefined) {
  const body = ctx.req.method === "POST" ? await readJson(ctx.req) : {};
  if (action === "lifecycle") {
    const event = String(body.event);
    if (!LIFECYCLE_EVENTS.has(event)) return bad(ctx, `event must be one of ${[...LIFECYCLE_EVENTS].join(", ")}`);
    if (event === "reauthorizationRequired" && body.pause === true) sub.paused = true;
    return json(ctx.res, 202, { outbox_id: sendLifecycle(sub, event) });
  }
  if (action === "remove") {
    subscriptions.delete(sub.id);
    return json(ctx.res, 202, { outbox_id: sendLifecycle(sub, "subscriptionRemoved") });
  }
  if (action === "notify") {
    const mailbox = sub.mailbox ? mailboxes.get(sub.mailbox) : undefined;
    const m = mailbox ? findMessage(mailbox, String(body.message_id)) : undefined;
    const changeType = String(body.change_type ?? "created") as "created" | "updated" | "deleted";
    const ids = m ?? { immutableId: String(body.message_id), restId: String(body.message_id) };
    const copies = typeof body.copies === "number" ? body.copies : 1;
    return json(ctx.res, 202, { outbox_ids: sendChange(sub, changeType, ids, copies) });
  }
  if (action === undefined && ctx.req.method === "GET") return json(ctx.res, 200, adminView(sub));
  return bad(ctx, "unsupported", 404);
}

function outboxFilter(url: URL): OutboxFilter {
  return {
    tenants: url.searchParams.getAll("tenant").map((t) => t.toLowerCase()),
    mailboxes: url.searchParams.getAll("mailbox").map((m) => m.toLowerCase()),
    purposes: url.searchParams.getAll("purpose"),
  };
}

async function outboxRoutes(ctx: Ctx, rest: string[]) {
  if (rest.length === 0 && ctx.req.method === "GET") {
    const filter = outboxFilter(ctx.url);
    const claim = ctx.url.searchParams.get("peek") !== "1";
    const waitMs = Math.min(Number(ctx.url.searchParams.get("wait_ms") ?? 0) || 0, 5_000);
    const requests = await takeWaiting(filter, claim, waitMs);
    return json(ctx.res, 200, { requests, pending: pendingCount(filter) });
  }
  if (rest.length === 2 && rest[1] === "response" && ctx.req.method === "POST") {
    const body = await readJson(ctx.req);
    const headers = (body.headers ?? {}) as Record<string, string>;
    const result = answer(decodeURIComponent(rest[0] ?? ""), {
      status: Number(body.status),
      headers,
      body: typeof body.body === "string" ? body.body : "",
    });
    if (result === "unknown") return bad(ctx, "no such pending request", 404);
    return json(ctx.res, result === "ok" ? 200 : 409, { result });
  }
  return bad(ctx, "unsupported", 404);
}

/** `POST|GET /__tenants/{tenant}`: the tenant's app-only consent and subscription minimum. */
async function tenantRoute(ctx: Ctx, id: string) {
  const body = ctx.req.method === "POST" ? await readJson(ctx.req) : {};
  const consent = body.app_only_consent;
  if (consent !== undefined && consent !== null && typeof consent !== "boolean") {
    return bad(ctx, "app_only_consent must be true, false or null");
  }
  const tenant = tenantOf(id);
  if (consent !== undefined) tenant.appOnlyConsent = consent;
  if (typeof body.min_expiration_minutes === "number") tenant.minExpirationMinutes = body.min_expiration_minutes;
  json(ctx.res, 200, {
    app_only_consent: tenant.appOnlyConsent,
    min_expiration_minutes: tenant.minExpirationMinutes,
  });
}

/** Routes the admin API; answers false when `ctx.path` is not an admin path. */
export async function adminRoutes(ctx: Ctx): Promise<boolean> {
  const segments = ctx.url.pathname.split("/").filter(Boolean);
  const [head, ...rest] = segments;
  if (!head?.startsWith("__")) return false;
  const method = ctx.req.method;
  if (head === "__mailboxes" && rest.length === 0 && method === "POST") createMailbox(ctx, await readJson(ctx.req));
  else if (head === "__mailboxes" && rest.length > 0) await mailboxRoutes(ctx, rest);
  else if (head === "__subscriptions" && rest.length === 0 && method === "POST") {
    json(ctx.res, 201, { id: adminSubscription(await readJson(ctx.req)) });
  } else if (head === "__subscriptions" && rest.length > 0) {
    const sub = liveSubscription(decodeURIComponent(rest[0] ?? ""));
    if (!sub) bad(ctx, "no such subscription", 404);
    else await subscriptionAdmin(ctx, sub, rest[1]);
  } else if (head === "__tenants" && rest.length === 1 && (method === "POST" || method === "GET")) {
    await tenantRoute(ctx, decodeURIComponent(rest[0] ?? ""));
  } else if (head === "__clock" && method === "POST") {
    const body = await readJson(ctx.req);
    if (typeof body.offset_ms === "number") setClockOffset(body.offset_ms);
    json(ctx.res, 200, { offset_ms: clockOffset(), now: new Date(Date.now() + clockOffset()).toISOString() });
  } else if (head === "__outbox") await outboxRoutes(ctx, rest);
  else if (head === "__memory" && method === "POST") json(ctx.res, 200, memoryControl(rest[0] ?? ""));
  else bad(ctx, "unknown admin path", 404);
  return true;
}
