import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { IncomingMessage } from "@/db/mailbox-object";
import type { LivePage } from "@/db/mailbox-object/pages";
import type { AttachmentRecord } from "@/db/message-store/attachments";
import { servicesFor } from "@/entry/services";
import { lockStub } from "@/features/mailboxes/sync/lock-stub";
import { ImportedMessagesResponseSchema } from "@/features/shared-inbox-messages/shared-inbox-messages.schemas";
import { searchableBody } from "@/shared/search-text";
import { type ApiResponse, type CallOptions, call, expectBody } from "./api";
import { ADMIN, type GraphMessage } from "./mailbox-harness";
import { grantLiveRun, incomingMessage, livePage } from "./mailbox-object";

/**
 * Shared by src/features/shared-inbox-messages/test/search*.test.ts: the search of a shared inbox as a user calls
 * it (`GET .../messages?q=...&folder=...`), page walks, and mailboxes whose mail is in their Durable Objects,
 * written there as live sync writes a delta page (no fake Graph), so a test controls every field of every row.
 */

export type SearchParams = Record<string, string | number | boolean | undefined>;
export type Listed = ReturnType<typeof ImportedMessagesResponseSchema.parse>["messages"][number];
type Caller = (method: string, path: string, options?: CallOptions) => Promise<ApiResponse>;

/** A query value percent-encoded (a space as %20, never `+`); a lone surrogate as the UTF-8 of U+FFFD. */
export function encodeValue(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...new TextEncoder().encode(value)].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
  }
}

/** The listing's path with these query parameters, each value percent-encoded (see encodeValue). */
export function messagesPath(params: SearchParams = {}, inbox = "default") {
  const query = Object.entries(params)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${encodeValue(String(value))}`)
    .join("&");
  return `/v2/email-settings/shared-inboxes/${encodeURIComponent(inbox)}/messages${query ? `?${query}` : ""}`;
}

/** The raw answer to a search (status and body as the API gives them). */
export function searchRaw(org: string, params: SearchParams, inbox = "default", api: Caller = call) {
  return api("GET", messagesPath(params, inbox), { org });
}

/** One page of a search, asserted 200 with the declared listing body. */
export async function search(org: string, params: SearchParams, inbox = "default", api: Caller = call) {
  return expectBody(await searchRaw(org, params, inbox, api), 200, ImportedMessagesResponseSchema);
}

/** Every message a search finds, page by page (`limit` per page), asserting no message is served twice. */
export async function searchAll(org: string, params: SearchParams, limit = 100, inbox = "default", api = call) {
  const messages: Listed[] = [];
  let cursor: string | null = null;
  let pages = 0;
  for (; pages < 200; ) {
    const body = await search(org, { ...params, limit, ...(cursor && { cursor }) }, inbox, api);
    pages += 1;
    expect(body.messages.length).toBeLessThanOrEqual(limit);
    messages.push(...body.messages);
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  const ids = messages.map((m) => m.id);
  expect(new Set(ids).size, "a message served twice").toBe(ids.length);
  return { messages, pages };
}

/** The subjects a search finds (all pages), sorted: what most word tests compare. */
export async function subjectsFound(org: string, params: SearchParams | string, inbox = "default", api = call) {
  const query = typeof params === "string" ? { q: params } : params;
  return (await searchAll(org, query, 100, inbox, api)).messages.map((m) => m.subject ?? "").sort();
}

/** A row as a writer hands it to a mailbox object, with its body's searchable text as the writer computes it. */
export type SearchRow = IncomingMessage & { search_body: string };

export interface MailSpec extends Partial<IncomingMessage> {
  /** The message's body (HTML unless `body_content_type` says `text`). */
  body?: string;
}

/**
 * A message row for a mailbox object: neutral defaults (no word of incomingMessage's German sample, so a test's
 * words are only what it gives), its body reduced to searchable text by searchableBody, as the writers do.
 */
export function mail(spec: MailSpec = {}): SearchRow {
  const { body, ...fields } = spec;
  const row = incomingMessage({
    subject: "Nachricht",
    from_address: "absender@example.org",
    from_name: null,
    to: JSON.stringify([{ address: "postfach@contoso.example" }]),
    body_preview: null,
    ...fields,
  });
  return { ...row, search_body: searchableBody(body ?? "", row.body_content_type) };
}

/**
 * A mailbox of the org whose mail is in its Durable Object, feeding `inbox`: the directory row the listing reads
 * (`mailbox_stores`, state `object`) and a live run granted, so the test writes delta pages itself.
 */
export async function objectMailbox(org: string, mailbox: string, inbox = "default") {
  await env.DB.prepare(
    "INSERT INTO mailbox_stores (org_id, mailbox, shared_inbox_id, state, updated_at) VALUES (?1, ?2, ?3, 'object', ?4)",
  )
    .bind(org, mailbox, inbox, new Date().toISOString())
    .run();
  const owner = { orgId: org, mailbox };
  const stub = lockStub(servicesFor(env), org, mailbox);
  const runId = await grantLiveRun(stub, owner);
  /** One delta page of `folder` (rows of any folder, removals of this one), written as live sync writes it. */
  const write = async (folder: LivePage["folder"], page: Partial<LivePage>) => {
    const result = await stub.writeLivePage(owner, runId, livePage(folder, page), {
      now: new Date().toISOString(),
      sharedInboxId: inbox,
    });
    expect(result.refused).toBe(false);
    return result;
  };
  /** Rows (one page per folder) with their attachment records. */
  const add = async (rows: SearchRow[], attachments: AttachmentRecord[] = []) => {
    for (const folder of ["inbox", "sentitems"] as const) {
      const inFolder = rows.filter((row) => row.folder === folder);
      const graphIds = new Set(inFolder.map((row) => row.graph_id));
      if (inFolder.length === 0) continue;
      await write(folder, { rows: inFolder, attachments: attachments.filter((a) => graphIds.has(a.graph_id)) });
    }
  };
  return { owner, stub, runId, write, add };
}

/**
 * New mail at the fake Graph with the fields createMessage takes (addGraphMessage's type leaves out `from` and
 * `to`): a `created` change, seen by delta and the import.
 */
export async function addFakeGraphMail(
  email: string,
  spec: {
    folder?: "inbox" | "sentitems";
    subject?: string;
    body_html?: string;
    received?: string;
    from?: string;
    to?: string[];
  },
): Promise<GraphMessage> {
  const response = await fetch(`${ADMIN}/__mailboxes/${encodeURIComponent(email)}/messages`, {
    method: "POST",
    body: JSON.stringify({ folder: "inbox", ...spec }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as GraphMessage;
}
