import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { getDb } from "@/db/client";
import { orgPrefix } from "@/db/message-store/keys";
import { importedMessages } from "@/db/schema";
import { SharedInboxMessageSchema } from "@/features/shared-inbox-messages/shared-inbox-messages.schemas";
import { type ApiResponse, expectBody } from "./api";
import { connectedMailbox, type MailboxSpec } from "./fixtures";
import { ADMIN, type Api, allMessages, connect, harness } from "./mailbox-harness";
import { inMailboxObject, objectMailboxes } from "./rows";

/**
 * Shared by test/message-store-*.test.ts: attachments at the fake Graph, a synced mailbox, the bucket's
 * objects, and the two read operations.
 */

export interface FakeAttachmentView {
  id: string;
  name: string;
  size: number;
  sha256: string;
  kind: string;
  is_inline: boolean;
  content_id: string | null;
}

export interface AttachmentSpec {
  name: string;
  size?: number;
  content_type?: string;
  kind?: "file" | "item" | "reference";
  is_inline?: boolean;
  content_id?: string;
  corrupt?: "error" | "short";
}

/** Adds attachments to a message at the fake Graph; answers what it will serve (with checksums). */
export async function addAttachments(email: string, graphId: string, attachments: AttachmentSpec[]) {
  const response = await fetch(
    `${ADMIN}/__mailboxes/${encodeURIComponent(email)}/messages/${encodeURIComponent(graphId)}/attachments`,
    { method: "POST", body: JSON.stringify({ attachments }) },
  );
  expect(response.status).toBe(201);
  return ((await response.json()) as { attachments: FakeAttachmentView[] }).attachments;
}

export const MB = 1024 * 1024;

export async function sha256Hex(data: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Every object key (with its upload time and etag) under a prefix of the bucket. */
export async function bucketObjects(prefix: string) {
  const out = new Map<string, { uploaded: number; etag: string; size: number }>();
  let cursor: string | undefined;
  do {
    const listed = await env.MESSAGE_STORE.list({ prefix, cursor });
    for (const o of listed.objects) out.set(o.key, { uploaded: o.uploaded.getTime(), etag: o.etag, size: o.size });
    cursor = listed.truncated ? listed.cursor : undefined;
  } while (cursor);
  return out;
}

export const orgObjects = (org: string) => bucketObjects(orgPrefix(org));

/** The harness and a mailbox with `inbox` messages at the fake Graph, its tenant connected, before the connect. */
export async function mailboxWith(spec: MailboxSpec = {}, vars: Record<string, string> = {}) {
  const h = harness(vars as never);
  const mailbox = await connectedMailbox(h.api, { name: "store", spec: { inbox: 1, ...spec }, connect: false });
  return { ...h, ...mailbox };
}

/** Connects the mailbox and runs its 1-month sync to the end. */
export async function syncAll(
  h: { api: Api; drain: (o?: { redeliver?: boolean }) => Promise<unknown> },
  org: string,
  email: string,
  redeliver = false,
) {
  await connect(h.api, org, email, { mailboxSyncTimeframe: "1m" });
  await h.drain({ redeliver });
}

/** The import state of a Graph message, wherever its mailbox keeps it (its object, or D1). */
export async function syncItem(org: string, graphId: string) {
  type Item = { status: string; attempts: number; last_error: string | null };
  for (const mailbox of await objectMailboxes(org)) {
    const [item] = await inMailboxObject(org, mailbox, (sql) =>
      sql
        .exec<Record<string, SqlStorageValue>>(
          "SELECT status, attempts, last_error FROM import_items WHERE graph_id = ?1",
          graphId,
        )
        .toArray(),
    );
    if (item) return item as unknown as Item;
  }
  return env.DB.prepare("SELECT status, attempts, last_error FROM mailbox_sync_items WHERE org_id = ? AND graph_id = ?")
    .bind(org, graphId)
    .first<Item>();
}

export const messagePath = (messageId: string, inbox = "default") =>
  `/v2/email-settings/shared-inboxes/${inbox}/messages/${messageId}`;

export async function getMessage(api: Api, org: string, messageId: string, inbox = "default") {
  return expectBody(await api("GET", messagePath(messageId, inbox), { org }), 200, SharedInboxMessageSchema);
}

/** A message body as a reader sees it: its content type, the content (sanitized HTML, or text) and the flag. */
export interface ServedBody {
  content_type: string | null;
  content: string | null;
  truncated: boolean;
}

/**
 * The bodies of the inbox's listed messages, by id, as getSharedInboxMessage serves them (the listing serves
 * none: checked here, `body.content` null with the content type of the read). A body still in D1 is moved
 * into the message store by the read, as any read of the message does.
 */
export async function servedBodies(api: Api, org: string, inbox = "default"): Promise<Map<string, ServedBody>> {
  const bodies = new Map<string, ServedBody>();
  for (const listed of await allMessages(api, org, inbox)) {
    const { content_type, content, truncated } = (await getMessage(api, org, listed.id, inbox)).body;
    expect(listed.body, listed.id).toMatchObject({ content_type, content: null });
    bodies.set(listed.id, { content_type, content, truncated });
  }
  return bodies;
}

/** Downloads an attachment (raw response: status, headers, bytes). */
export async function download(org: string, path: string, headers: Record<string, string> = {}) {
  const { signToken } = await import("./tokens");
  const { exports } = await import("cloudflare:workers");
  const token = await signToken({ org });
  const response = await exports.default.fetch(
    new Request(`https://api.test${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } }),
  );
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
}

export type { ApiResponse };

/**
 * A message row as the import wrote it before the message store: its body in D1 (`body_store` null), no
 * sanitized copy. Answers its id; its Graph id is `graph-<id>`.
 */
export async function seedLegacyMessage(
  org: string,
  message: { mailbox: string; body: string; contentType?: "html" | "text"; truncated?: boolean },
): Promise<string> {
  const id = crypto.randomUUID();
  const at = new Date().toISOString();
  await getDb(env.DB)
    .insert(importedMessages)
    .values({
      id,
      orgId: org,
      mailbox: message.mailbox,
      graphId: `graph-${id}`,
      folder: "inbox",
      toRecipients: [],
      ccRecipients: [],
      receivedAt: at,
      sortAt: at,
      bodyContentType: message.contentType ?? "html",
      body: message.body,
      bodyTruncated: message.truncated ?? false,
      sharedInboxId: "default",
      bucketId: "default",
      executionId: "exec-before",
      importedAt: at,
    });
  return id;
}
