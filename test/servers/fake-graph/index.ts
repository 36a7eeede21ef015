import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { callerOf, mailboxFor, onMailbox, unauthenticated } from "./access";
import { adminRoutes } from "./admin";
import { attachmentRoutes } from "./attachments";
import { delta } from "./delta";
import { type Ctx, graphError, json } from "./http";
import { folderInfo, getMessage, listMessages } from "./messages";
import { type Folder, findMessage } from "./state";
import { subscriptionRoutes } from "./subscriptions";

/**
 * A fake Microsoft Graph (v1.0) on loopback for the mailbox tests and benches, faithful to what the Worker
 * uses (checked against Microsoft's docs: message: delta, change notifications for Outlook resources,
 * subscription resource type, lifecycle notifications, notificationUrl validation).
 *
 * ## Graph endpoints (under /v1.0)
 * - `GET /users/{mailbox}/mailFolders/{inbox|sentitems}`; `.../mailFolders/{folder}/messages` (`$filter`,
 *   `$select`, date-desc order, `Prefer: odata.maxpagesize` (default 10, at most 1000 or the mailbox's
 *   `max_page_size`), absolute `@odata.nextLink` with `$skiptoken`); `GET /users/{mailbox}/messages/{id}`; both
 *   take `$expand=attachments[($select=...)]` (one request: the expansion is not counted on its own).
 * - `GET /users/{mailbox}/mailFolders/{inbox|sentitems}/messages/delta`: see ./delta.ts (nextLinks to a
 *   deltaLink; changes, `@removed` deletions, moves keeping the immutable id, replays, 410 on expired tokens).
 * - `POST|GET /subscriptions`, `GET|PATCH|DELETE /subscriptions/{id}`, `POST /subscriptions/{id}/reauthorize`:
 *   see ./subscriptions.ts (4,230-minute cap, delegated 403 / app-only with consent, validation handshake).
 * - Change notifications and lifecycle events go to the Worker through the outbox (./outbox.ts,
 *   ./notifications.ts); test/helpers/graph-relay.ts delivers them.
 * - `GET /users/{mailbox}/messages/{id}/attachments`, `.../attachments/{id}`, `.../attachments/{id}/$value`:
 *   see ./attachments.ts (file, item and reference attachments, inline images with content ids, seeded bytes
 *   streamed with Content-Length, corrupt ones).
 * - Tokens: `fake-graph:<tenant>` (delegated), `fake-graph-app:<tenant>` (app-only), or a JWT of the identity
 *   stand-in (its `tid`; app-only without `scp`/`preferred_username`; its `roles`). A mailbox of another
 *   tenant is 404 `ErrorItemNotFound`; `access: "forbidden"` 403 `ErrorAccessDenied` (`"app_only_denied"`: for app-only tokens only, as an
 *   application access policy that leaves the mailbox out); `access: "rest_disabled"`
 *   404 `MailboxNotEnabledForRESTAPI`. App-only callers on mailboxes (messages, delta, subscriptions): the
 *   tenant's `app_only_consent` decides when set (true: allowed whatever the token; false: 403
 *   `ErrorAccessDenied`, a revoked grant); unset (null, the default) the token does, as at Graph: a JWT whose
 *   `roles` include `Mail.Read` or `Mail.ReadWrite` is allowed, one without (a tenant where only users
 *   consented: client credentials work but grant nothing) and `fake-graph-app:` tokens are 403.
 * - Ids: immutable ids only with `Prefer: IdType="ImmutableId"`, REST ids otherwise (they change on a move).
 * - Injected trouble: `throttle: {count, status?, retry_after?, kinds?}` answers the mailbox's next `count` requests
 *   (any kind, delta and subscriptions included) with 429 (or 503) and Retry-After; `failing: [ids]` makes
 *   those messages corrupt (listed without dates and body, 500 `ErrorCorruptData` alone); `delay_ms` slows
 *   every answer; `hold: [kinds]` works out answers of those kinds when asked but sends them only when a
 *   later `hold: []` lifts the hold (stats `held`: answers waiting); `next_link_host` puts a foreign host into
 *   nextLinks (delta links too).
 * - Stats per mailbox: `requests` by kind (`folder`, `page`, `message`, `delta`, `subscription`, `attachments`,
 *   `attachment`, `attachment_value`), throttled
 *   answers, requests without the ImmutableId preference, the most requests in flight at once.
 *
 * ## Admin API (JSON)
 * - `POST /__mailboxes` {email, tenant, access?, inbox?, sentitems?, old?, failing?, throttle?, delay_ms?,
 *   max_page_size?, next_link_host?, body_chars?, body_html?} creates (or replaces) a mailbox with generated
 *   messages (`inbox`/`sentitems` within the last 6 days, `old` more per folder older than 60 days) → 201
 *   {email, user_id, messages: [{id, folder, receivedDateTime, sentDateTime}]}.
 * - `PATCH /__mailboxes/{email}` {failing?, throttle?, delay_ms?, hold?, access?, max_page_size?, next_link_host?}.
 * - `GET /__mailboxes/{email}` → {email, user_id, stats, subscriptions: [{id, resource, folder, changeType,
 *   notificationUrl, lifecycleNotificationUrl, clientState, expirationDateTime, app_only, immutable_ids,
 *   renewals, reauthorizations, paused, created_by}], notifications: [{outbox_id, subscription_id, kind
 *   ("change"|"lifecycle"), change_type?, lifecycle_event?, message_id?, queued_at, status (null while
 *   pending), error? ("timeout"), late?}], messages: [{id, folder, subject}]}. Expired subscriptions are gone.
 * - `POST /__mailboxes/{email}/messages` {folder ("inbox"|"sentitems"), subject?, body_html?, received? (ISO,
 *   default now), from?, to?} → 201 the message as Graph renders it (immutable id) plus `folder`; a
 *   `created` change (delta + notifications). `PATCH /__mailboxes/{email}/messages/{id}` {subject?, body_html?,
 *   is_read?} → 200 (`updated`); `DELETE ...` → 204 (`deleted`); `POST .../{id}/move` {folder} → 200 (removed
 *   from the old folder, created in the new, same immutable id).
 * - `POST /__mailboxes/{email}/delta` {expire_tokens?: true, replay?: N, fail?: "syncStateNotFound"|
 *   "resyncRequired"}: expire every token issued so far (410 with `fail`'s code, default syncStateNotFound);
 *   make the next delta round of each folder re-send N earlier changes, out of order.
 * - `POST /__tenants/{tenant}` {app_only_consent?: true|false|null (default null: decided by the token's
 *   roles; 400 otherwise), min_expiration_minutes?: number (default 45)} → 200 {app_only_consent,
 *   min_expiration_minutes}; `GET /__tenants/{tenant}` the same view.
 * - `POST /__subscriptions` {resource, tenant?, changeType?} adds a subscription without a handshake or
 *   notificationUrl (e.g. another app's) → 201 {id}. `GET /__subscriptions/{id}` its admin view.
 * - `POST /__subscriptions/{id}/lifecycle` {event: reauthorizationRequired|subscriptionRemoved|missed,
 *   pause?: true (reauthorizationRequired: hold change notifications until PATCH/reauthorize)} sends the
 *   event → 202 {outbox_id}; `POST /__subscriptions/{id}/remove` drops the subscription and sends
 *   subscriptionRemoved; `POST /__subscriptions/{id}/notify` {message_id, change_type?, copies?} sends
 *   (duplicate) change notifications → 202 {outbox_ids}.
 * - `POST /__mailboxes/{email}/messages/{id}/attachments` {attachments: [...]} adds attachments (files of any
 *   size, inline images with content ids, item/reference, corrupt ones); the mailbox spec's
 *   `attachment_percent` / `attachment_bytes` attach one file to that share of the generated messages;
 *   `POST /__memory/start|stop` samples workerd's resident memory (./attachments.ts).
 * - `POST /__clock` {offset_ms}: the fake's clock (subscription expiry and limits) runs `offset_ms` ahead.
 * - Outbox (the requests Graph sends to the Worker): `GET /__outbox?tenant=&mailbox=&purpose=&wait_ms=&peek=1`
 *   claims (unless peek=1) the pending requests → {requests: [{id, method, url, headers, body, purpose
 *   ("validation"|"notification"|"lifecycle"), tenant, mailbox, subscription_id, queued_at}], pending};
 *   `wait_ms` (<= 5000) long-polls for a first one. `POST /__outbox/{id}/response` {status, headers, body}
 *   → 200, 409 when it came after the deadline (10 s for handshakes, 3 s after the claim for
 *   notifications), 404 unknown.
 */

async function graphRoutes(ctx: Ctx) {
  const caller = callerOf(ctx);
  if (!caller) return unauthenticated(ctx);
  if (await subscriptionRoutes(ctx, caller)) return;
  const users = /^\/v1\.0\/users\/([^/]+)\/(.+)$/.exec(ctx.path);
  if (!users) return graphError(ctx.res, 400, "BadRequest", `Unsupported path ${ctx.path}`);
  const mailbox = mailboxFor(ctx, caller, users[1] ?? "");
  if (!mailbox) return;
  const rest = users[2] ?? "";
  const folderMatch = /^mailFolders\/(inbox|sentitems)(\/messages(\/delta)?)?$/i.exec(rest);
  const folder = (folderMatch?.[1] ?? "").toLowerCase() as Folder;
  const single = /^messages\/([^/]+)$/.exec(rest);
  const attachment = /^messages\/[^/]+\/attachments(\/[^/]+)?(\/\$value)?$/.exec(rest);
  const kind = attachment
    ? attachment[2]
      ? "attachment_value"
      : attachment[1]
        ? "attachment"
        : "attachments"
    : single
      ? "message"
      : folderMatch?.[3]
        ? "delta"
        : folderMatch?.[2]
          ? "page"
          : "folder";
  await onMailbox(ctx, mailbox, caller, kind, () => {
    if (attachment) {
      attachmentRoutes(ctx, mailbox, rest, (id) => findMessage(mailbox, id));
      return;
    }
    if (single) return getMessage(ctx, caller, mailbox, single[1] ?? "");
    if (!folderMatch) return graphError(ctx.res, 400, "BadRequest", `Unsupported path ${ctx.path}`);
    if (folderMatch[3]) return delta(ctx, caller, mailbox, folder);
    if (folderMatch[2]) return listMessages(ctx, caller, mailbox, folder);
    return folderInfo(ctx, mailbox, folder);
  });
}

export async function startFakeGraph(): Promise<{ url: string; close: () => Promise<void> }> {
  let origin = "";
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", origin);
      const ctx: Ctx = { req, res, url, path: decodeURIComponent(url.pathname), origin };
      if (await adminRoutes(ctx)) return;
      await graphRoutes(ctx);
    } catch (err) {
      if (!res.headersSent) json(res, 500, { error: { code: "FakeGraphError", message: String(err) } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  server.unref();
  return { url: origin, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * Bindings for vitest.config.ts. MS_GRAPH_BASE_URL points the whole Worker at the fake Graph, so the
 * queue consumer that Miniflare runs (with the Worker's own bindings) reaches it too; MS_GRAPH_RESOURCE
 * keeps the OAuth scopes' resource at Microsoft Graph, as the connection tests check.
 */
export async function graphTestBindings() {
  const graph = await startFakeGraph();
  return {
    MS_GRAPH_BASE_URL: `${graph.url}/v1.0`,
    MS_GRAPH_RESOURCE: "https://graph.microsoft.com",
    TEST_GRAPH_BASE_URL: `${graph.url}/v1.0`,
    TEST_GRAPH_ADMIN_URL: graph.url,
  };
}
