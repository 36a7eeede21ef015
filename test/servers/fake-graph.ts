import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A fake Microsoft Graph (v1.0) on loopback for the mailbox tests, faithful to what the Worker uses:
 *
 * - `GET /v1.0/users/{mailbox}/mailFolders/{inbox|sentitems}`; `.../mailFolders/{folder}/messages` with
 *   `$filter` (`receivedDateTime|sentDateTime ge|gt|le|lt <ISO>` joined by `and`), `$select`, `$orderby`
 *   (date desc), `Prefer: odata.maxpagesize` (default page 10, at most 1000, or the mailbox's
 *   `max_page_size`), paged with an absolute `@odata.nextLink` carrying `$skiptoken`;
 *   `GET /v1.0/users/{mailbox}/messages/{id}`; `GET /v1.0/subscriptions`, `DELETE /v1.0/subscriptions/{id}`.
 * - Access: the bearer token must be `fake-graph:<tenant id>` (tests seed connections with such access
 *   tokens); a mailbox of another tenant is 404 `ErrorItemNotFound`, a mailbox with `access: "forbidden"`
 *   403 `ErrorAccessDenied`, `access: "rest_disabled"` 404 `MailboxNotEnabledForRESTAPI`, unknown 404.
 * - Ids: immutable ids only with `Prefer: IdType="ImmutableId"`, other ids otherwise (like Graph).
 * - Injected trouble: `throttle: {count, status?, retry_after?}` answers the next `count` requests of the
 *   mailbox with 429 (or 503) and Retry-After; `failing: [ids]` makes those messages corrupt (listed
 *   without dates and body, 500 `ErrorCorruptData` when fetched alone); `delay_ms` slows every answer;
 *   `next_link_host` puts a foreign host into nextLinks.
 * - Stats per mailbox: requests (by kind), throttled answers, requests without the ImmutableId preference,
 *   and the highest number of requests in flight at once.
 *
 * Admin API (JSON): `POST /__mailboxes` {email, tenant, access?, inbox?, sentitems?, old?, failing?,
 * throttle?, delay_ms?, max_page_size?, next_link_host?, body_chars?, body_html?} creates (or replaces) a
 * mailbox with generated messages (`body_html`: every message's HTML body instead of the generated one;
 * `inbox`/`sentitems` counts within the last 6 days, `old` more per folder
 * older than 60 days); `PATCH /__mailboxes/{email}` changes failing/throttle/delay_ms/access;
 * `POST /__subscriptions` {resource} adds a subscription; `GET /__mailboxes/{email}` stats, message ids,
 * and subscriptions.
 */

type Folder = "inbox" | "sentitems";

interface FakeMessage {
  n: number;
  restId: string;
  immutableId: string;
  folder: Folder;
  subject: string;
  from: string;
  to: string[];
  cc: string[];
  receivedDateTime: string;
  sentDateTime: string;
  conversationId: string;
  body: string;
}

interface FakeMailbox {
  email: string;
  tenant: string;
  access: "ok" | "forbidden" | "rest_disabled";
  messages: FakeMessage[];
  failing: Set<string>;
  throttle: { count: number; status: number; retryAfter: number };
  delayMs: number;
  maxPageSize: number | null;
  nextLinkHost: string | null;
  stats: {
    requests: Record<string, number>;
    throttled: number;
    withoutImmutableId: number;
    inFlight: number;
    maxInFlight: number;
  };
}

const mailboxes = new Map<string, FakeMailbox>();
const subscriptions = new Map<string, { id: string; resource: string }>();

const DAY = 24 * 60 * 60 * 1000;

function makeId(kind: string, email: string, n: number) {
  const hash = createHash("sha256").update(`${email}/${n}`).digest("base64url").slice(0, 24);
  return kind === "immutable" ? `AAkALgImm-${hash}-${n}=` : `AAMkRest-${hash}-${n}=`;
}

function generate(
  email: string,
  spec: { inbox?: number; sentitems?: number; old?: number; body_chars?: number; body_html?: string },
) {
  const messages: FakeMessage[] = [];
  const now = Date.now();
  let n = 0;
  const add = (folder: Folder, count: number, oldest: number, newest: number) => {
    for (let i = 0; i < count; i++) {
      n++;
      const at = new Date(newest - ((newest - oldest) * (i + 0.5)) / Math.max(count, 1)).toISOString();
      messages.push({
        n,
        restId: makeId("rest", email, n),
        immutableId: makeId("immutable", email, n),
        folder,
        subject: `${folder} message ${n}`,
        from: folder === "inbox" ? `sender${n}@example.com` : email,
        to: folder === "inbox" ? [email] : [`customer${n}@example.com`],
        cc: n % 3 === 0 ? [`cc${n}@example.com`] : [],
        receivedDateTime: at,
        sentDateTime: new Date(Date.parse(at) - 1000).toISOString(),
        conversationId: `conv-${n % 7}`,
        body: spec.body_html ?? `<p>Body of message ${n}</p>${"x".repeat(spec.body_chars ?? 0)}`,
      });
    }
  };
  for (const folder of ["inbox", "sentitems"] as const) {
    add(folder, spec[folder] ?? 0, now - 6 * DAY, now - 60 * 1000);
    add(folder, spec.old ?? 0, now - 90 * DAY, now - 61 * DAY);
  }
  return messages;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const graphError = (res: ServerResponse, status: number, code: string, message: string) =>
  json(res, status, { error: { code, message } });

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function applySettings(mailbox: FakeMailbox, body: Record<string, unknown>) {
  if (Array.isArray(body.failing)) mailbox.failing = new Set(body.failing as string[]);
  if (body.throttle && typeof body.throttle === "object") {
    const t = body.throttle as { count?: number; status?: number; retry_after?: number };
    mailbox.throttle = { count: t.count ?? 0, status: t.status ?? 429, retryAfter: t.retry_after ?? 1 };
  }
  if (typeof body.delay_ms === "number") mailbox.delayMs = body.delay_ms;
  if (typeof body.access === "string") mailbox.access = body.access as FakeMailbox["access"];
  if (typeof body.max_page_size === "number") mailbox.maxPageSize = body.max_page_size;
  if (typeof body.next_link_host === "string") mailbox.nextLinkHost = body.next_link_host;
}

/** `receivedDateTime ge 2024-01-01T00:00:00Z and ...` */
function parseFilter(filter: string | null): ((m: FakeMessage) => boolean) | "invalid" {
  if (!filter) return () => true;
  const clauses = filter.split(/\s+and\s+/i).map((clause) => {
    const match = /^(receivedDateTime|sentDateTime)\s+(ge|gt|le|lt)\s+(\S+)$/.exec(clause.trim());
    if (!match) return undefined;
    const [, field, op, value] = match as unknown as [string, "receivedDateTime" | "sentDateTime", string, string];
    const bound = Date.parse(value);
    if (!Number.isFinite(bound)) return undefined;
    return (m: FakeMessage) => {
      const at = Date.parse(m[field]);
      return op === "ge" ? at >= bound : op === "gt" ? at > bound : op === "le" ? at <= bound : at < bound;
    };
  });
  if (clauses.some((c) => c === undefined)) return "invalid";
  return (m) => clauses.every((c) => c?.(m));
}

function render(m: FakeMessage, immutable: boolean, select: string[] | null, failing: boolean) {
  const full: Record<string, unknown> = {
    id: immutable ? m.immutableId : m.restId,
    subject: m.subject,
    from: { emailAddress: { address: m.from, name: m.from.split("@")[0] } },
    toRecipients: m.to.map((address) => ({ emailAddress: { address, name: address.split("@")[0] } })),
    ccRecipients: m.cc.map((address) => ({ emailAddress: { address } })),
    receivedDateTime: m.receivedDateTime,
    sentDateTime: m.sentDateTime,
    conversationId: m.conversationId,
    bodyPreview: m.body.replace(/<[^>]+>/g, "").slice(0, 255),
    body: { contentType: "html", content: m.body },
  };
  if (failing) {
    // A corrupt item: Graph lists it without the properties it cannot read.
    full.receivedDateTime = null;
    full.body = null;
  }
  if (!select) return full;
  return Object.fromEntries(Object.entries(full).filter(([k]) => k === "id" || select.includes(k)));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startFakeGraph(): Promise<{ url: string; close: () => Promise<void> }> {
  let baseUrl = "";
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", baseUrl);
      const path = decodeURIComponent(url.pathname);
      // ---------------- admin API
      if (path === "/__mailboxes" && req.method === "POST") {
        const body = await readJson(req);
        const email = String(body.email).toLowerCase();
        const mailbox: FakeMailbox = {
          email,
          tenant: String(body.tenant).toLowerCase(),
          access: "ok",
          messages: generate(email, body as Parameters<typeof generate>[1]),
          failing: new Set(),
          throttle: { count: 0, status: 429, retryAfter: 1 },
          delayMs: 0,
          maxPageSize: null,
          nextLinkHost: null,
          stats: { requests: {}, throttled: 0, withoutImmutableId: 0, inFlight: 0, maxInFlight: 0 },
        };
        applySettings(mailbox, body);
        mailboxes.set(email, mailbox);
        return json(res, 201, {
          email,
          messages: mailbox.messages.map((m) => ({
            id: m.immutableId,
            folder: m.folder,
            receivedDateTime: m.receivedDateTime,
            sentDateTime: m.sentDateTime,
          })),
        });
      }
      const adminMailbox = /^\/__mailboxes\/([^/]+)$/.exec(path);
      if (adminMailbox) {
        const mailbox = mailboxes.get((adminMailbox[1] ?? "").toLowerCase());
        if (!mailbox) return json(res, 404, { error: "no such mailbox" });
        if (req.method === "PATCH") applySettings(mailbox, await readJson(req));
        return json(res, 200, {
          stats: mailbox.stats,
          subscriptions: [...subscriptions.values()].filter((s) =>
            s.resource.toLowerCase().startsWith(`users/${mailbox.email}/`),
          ),
        });
      }
      if (path === "/__subscriptions" && req.method === "POST") {
        const body = await readJson(req);
        const id = crypto.randomUUID();
        subscriptions.set(id, { id, resource: String(body.resource) });
        return json(res, 201, { id });
      }
      // ---------------- Graph
      const auth = req.headers.authorization ?? "";
      const tokenTenant = /^Bearer fake-graph:(.+)$/.exec(auth)?.[1]?.toLowerCase();
      if (!tokenTenant) return graphError(res, 401, "InvalidAuthenticationToken", "Access token is empty or invalid");
      const prefer = String(req.headers.prefer ?? "");
      const immutable = /IdType="ImmutableId"/i.test(prefer);

      if (path === "/v1.0/subscriptions" && req.method === "GET") {
        return json(res, 200, { value: [...subscriptions.values()] });
      }
      const sub = /^\/v1\.0\/subscriptions\/([^/]+)$/.exec(path);
      if (sub && req.method === "DELETE") {
        if (!subscriptions.delete(sub[1] ?? "")) return graphError(res, 404, "ResourceNotFound", "No subscription");
        res.writeHead(204).end();
        return;
      }

      const users = /^\/v1\.0\/users\/([^/]+)\/(.+)$/.exec(path);
      if (!users) return graphError(res, 400, "BadRequest", `Unsupported path ${path}`);
      const mailbox = mailboxes.get((users[1] ?? "").toLowerCase());
      const rest = users[2] ?? "";
      if (!mailbox || mailbox.tenant !== tokenTenant) {
        return graphError(res, 404, "ErrorItemNotFound", "The specified object was not found in the store.");
      }
      const stats = mailbox.stats;
      const kind = rest.startsWith("messages/") ? "message" : rest.endsWith("/messages") ? "page" : "folder";
      stats.requests[kind] = (stats.requests[kind] ?? 0) + 1;
      if (!immutable) stats.withoutImmutableId++;
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      try {
        if (mailbox.delayMs) await sleep(mailbox.delayMs);
        else await sleep(5); // let concurrent requests overlap, as over a network
        if (mailbox.throttle.count > 0) {
          mailbox.throttle.count--;
          stats.throttled++;
          return json(
            res,
            mailbox.throttle.status,
            { error: { code: "TooManyRequests", message: "Please retry later" } },
            { "retry-after": String(mailbox.throttle.retryAfter) },
          );
        }
        if (mailbox.access === "forbidden") return graphError(res, 403, "ErrorAccessDenied", "Access is denied.");
        if (mailbox.access === "rest_disabled") {
          return graphError(
            res,
            404,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive or hosted on-premise.",
          );
        }
        const folderMatch = /^mailFolders\/(inbox|sentitems)(\/messages)?$/i.exec(rest);
        if (folderMatch && !folderMatch[2]) {
          const folder = (folderMatch[1] ?? "").toLowerCase() as Folder;
          return json(res, 200, {
            id: `folder-${folder}`,
            displayName: folder === "inbox" ? "Inbox" : "Sent Items",
            totalItemCount: mailbox.messages.filter((m) => m.folder === folder).length,
          });
        }
        if (folderMatch) {
          const folder = (folderMatch[1] ?? "").toLowerCase() as Folder;
          const filter = parseFilter(url.searchParams.get("$filter"));
          if (filter === "invalid") return graphError(res, 400, "BadRequest", "Invalid filter clause");
          const select = url.searchParams.get("$select")?.split(",") ?? null;
          const requested = Number(/odata\.maxpagesize=(\d+)/.exec(prefer)?.[1] ?? 10);
          const size = Math.min(requested, 1000, mailbox.maxPageSize ?? 1000);
          const skip = Number(url.searchParams.get("$skiptoken") ?? 0);
          const orderField = folder === "sentitems" ? "sentDateTime" : "receivedDateTime";
          const all = mailbox.messages
            .filter((m) => m.folder === folder && filter(m))
            .sort((a, b) => Date.parse(b[orderField]) - Date.parse(a[orderField]) || b.n - a.n);
          const page = all.slice(skip, skip + size);
          const body: Record<string, unknown> = {
            value: page.map((m) => render(m, immutable, select, mailbox.failing.has(m.immutableId))),
          };
          if (skip + size < all.length) {
            const next = new URL(url.toString());
            if (mailbox.nextLinkHost) next.host = mailbox.nextLinkHost;
            next.searchParams.set("$skiptoken", String(skip + size));
            body["@odata.nextLink"] = next.toString();
          }
          return json(res, 200, body);
        }
        const single = /^messages\/([^/]+)$/.exec(rest);
        if (single) {
          const id = single[1] ?? "";
          const m = mailbox.messages.find((x) => x.immutableId === id || x.restId === id);
          if (!m) return graphError(res, 404, "ErrorItemNotFound", "The specified object was not found in the store.");
          if (mailbox.failing.has(m.immutableId)) {
            return graphError(res, 500, "ErrorCorruptData", "The item is corrupt and cannot be read.");
          }
          const select = url.searchParams.get("$select")?.split(",") ?? null;
          return json(res, 200, render(m, immutable, select, false));
        }
        return graphError(res, 400, "BadRequest", `Unsupported path ${path}`);
      } finally {
        stats.inFlight--;
      }
    } catch (err) {
      json(res, 500, { error: { code: "FakeGraphError", message: String(err) } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  server.unref();
  return { url: baseUrl, close: () => new Promise((resolve) => server.close(() => resolve())) };
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
