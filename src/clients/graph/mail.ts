import { z } from "@hono/zod-openapi";
import { encodeSegment, GraphClient, type RequestSlots } from "./client";

/** The two folders a sync imports: Graph well-known folder names. */
export const SYNC_FOLDERS = ["inbox", "sentitems"] as const;
export type SyncFolder = (typeof SYNC_FOLDERS)[number];

/** Messages per Graph page: large pages keep Graph requests per 1,000 messages at about 10. */
export const MESSAGE_PAGE_SIZE = 100;

/** Exactly the fields that are imported. */
const MESSAGE_SELECT = [
  "id",
  "subject",
  "from",
  "toRecipients",
  "ccRecipients",
  "receivedDateTime",
  "sentDateTime",
  "conversationId",
  "bodyPreview",
  "body",
  "lastModifiedDateTime",
  "hasAttachments",
].join(",");

/**
 * What a listing of attachments selects: metadata only, so no file's `contentBytes` travels with a list or a
 * message page. (`contentId` cannot be selected there: it is a fileAttachment property, and Graph answers 400
 * `Could not find a property named 'contentId' on type 'microsoft.graph.attachment'`; it comes with the read
 * of the attachment.)
 */
export const ATTACHMENT_SELECT = "id,name,contentType,size,isInline";

/**
 * The import's pages (and a retry's messages) carry each message's attachment list, so a message with
 * attachments costs no list request of its own. Delta queries take no `$expand`: live sync lists them per
 * message.
 */
const MESSAGE_EXPAND = `attachments($select=${ATTACHMENT_SELECT})`;

/** The date a folder's messages are filtered and ordered by. */
const FOLDER_DATE_FIELD: Record<SyncFolder, "receivedDateTime" | "sentDateTime"> = {
  inbox: "receivedDateTime",
  sentitems: "sentDateTime",
};

export function graphClient(baseUrl: string, token: string, orgId: string, mailbox: string, slots?: RequestSlots) {
  return new GraphClient(baseUrl, token, JSON.stringify([orgId, mailbox]), slots);
}

export const mailboxPath = (mailbox: string) => `/users/${encodeSegment(mailbox)}`;

/** First page of a folder's messages since `since` (the later pages come from @odata.nextLink). */
export function firstPageUrl(client: GraphClient, mailbox: string, folder: SyncFolder, since: string) {
  const field = FOLDER_DATE_FIELD[folder];
  return client.url(`${mailboxPath(mailbox)}/mailFolders/${folder}/messages`, {
    $filter: `${field} ge ${since}`,
    $select: MESSAGE_SELECT,
    $expand: MESSAGE_EXPAND,
    $orderby: `${field} desc`,
  });
}

/** The fields a live delta query selects: the imported ones. */
export const DELTA_SELECT = MESSAGE_SELECT;

export function messageUrl(client: GraphClient, mailbox: string, id: string) {
  return client.url(`${mailboxPath(mailbox)}/messages/${encodeSegment(id)}`, {
    $select: MESSAGE_SELECT,
    $expand: MESSAGE_EXPAND,
  });
}

const recipient = z.object({
  emailAddress: z.object({ address: z.string().min(1), name: z.string().nullish() }),
});

const graphMessage = z.object({
  id: z.string().min(1),
  subject: z.string().nullish(),
  from: recipient.nullish(),
  toRecipients: z.array(recipient).nullish(),
  ccRecipients: z.array(recipient).nullish(),
  receivedDateTime: z.iso.datetime({ offset: true }),
  sentDateTime: z.iso.datetime({ offset: true }).nullish(),
  conversationId: z.string().nullish(),
  bodyPreview: z.string().nullish(),
  body: z.object({ contentType: z.string(), content: z.string() }),
  lastModifiedDateTime: z.iso.datetime({ offset: true }).nullish(),
  hasAttachments: z.boolean().nullish(),
});

export type GraphMessage = { id?: unknown } & Record<string, unknown>;

/** One imported message as the D1 write takes it (JSON, through json_each). */
export interface ImportRow {
  uid: string;
  graph_id: string;
  folder: SyncFolder;
  subject: string | null;
  from_address: string | null;
  from_name: string | null;
  to: string;
  cc: string;
  received_at: string | null;
  sent_at: string | null;
  sort_at: string;
  conversation_id: string | null;
  body_preview: string | null;
  body_content_type: string | null;
  body: string | null;
  body_truncated: 0 | 1;
  /** Graph's lastModifiedDateTime (ISO, UTC), null when Graph did not say. */
  graph_modified_at: string | null;
  /** Graph's hasAttachments (1: the attachments are fetched with the message). */
  has_attachments: 0 | 1;
}

export type Converted = { ok: true; row: ImportRow } | { ok: false; graphId: string; error: string };

const people = (list: z.infer<typeof recipient>[] | null | undefined) =>
  JSON.stringify(
    (list ?? []).map((r) => ({
      address: r.emailAddress.address.toLowerCase(),
      ...(r.emailAddress.name && { name: r.emailAddress.name }),
    })),
  );

/**
 * A Graph message as an import row, or why it cannot be imported (e.g. a corrupt item Graph returns
 * without its dates or body). The body is cut at `bodyMaxChars`.
 */
export function convertMessage(raw: GraphMessage, folder: SyncFolder, bodyMaxChars: number): Converted {
  const parsed = graphMessage.safeParse(raw);
  if (!parsed.success) {
    const graphId = typeof raw.id === "string" ? raw.id : "";
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join(".") || "message"))].join(", ");
    return { ok: false, graphId, error: `Microsoft Graph returned an incomplete message (invalid: ${fields})` };
  }
  const m = parsed.data;
  const receivedAt = new Date(m.receivedDateTime).toISOString();
  const sentAt = m.sentDateTime ? new Date(m.sentDateTime).toISOString() : null;
  const content = m.body.content;
  return {
    ok: true,
    row: {
      uid: crypto.randomUUID(),
      graph_id: m.id,
      folder,
      subject: m.subject ?? null,
      from_address: m.from?.emailAddress.address.toLowerCase() ?? null,
      from_name: m.from?.emailAddress.name ?? null,
      to: people(m.toRecipients),
      cc: people(m.ccRecipients),
      received_at: receivedAt,
      sent_at: sentAt,
      sort_at: folder === "sentitems" ? (sentAt ?? receivedAt) : receivedAt,
      conversation_id: m.conversationId ?? null,
      body_preview: m.bodyPreview ?? null,
      body_content_type: m.body.contentType.toLowerCase(),
      body: content.slice(0, bodyMaxChars),
      body_truncated: content.length > bodyMaxChars ? 1 : 0,
      graph_modified_at: m.lastModifiedDateTime ? new Date(m.lastModifiedDateTime).toISOString() : null,
      // Graph's hasAttachments is false for a message with only inline images: a `cid:` in the body counts too.
      has_attachments: m.hasAttachments || /cid:/i.test(content) ? 1 : 0,
    },
  };
}
