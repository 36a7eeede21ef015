import type { SearchFilters, StoredAttachment, StoredMessageRow } from "@/db/mailbox-object";
import { findInboxMessageRow, findMessageAttachment, listInboxPage, listMessageAttachments } from "@/db/message-store";
import type { MailboxStoreRow } from "@/db/schema";
import { inboxMailboxStores } from "@/db/stores/mailbox-stores.store";
import { findInboxRow } from "@/db/stores/shared-inboxes.store";
import { lockStub } from "@/features/mailboxes";
import { notFound } from "@/lib/errors";
import type { Services } from "@/lib/services";
import { DEFAULT_BUCKET_ID, DEFAULT_INBOX_ID } from "@/shared/default-inbox";
import { mailboxKey, mailboxKeyOf } from "@/shared/message-ids";
import { type ListingKey, mergePages, type PageSource } from "./merge-pages";

/**
 * A shared inbox's messages wherever they are: in the Durable Objects of the mailboxes that feed the inbox (the
 * directory `mailbox_stores` says which), and in D1 for mail from before the objects that has not moved yet. A
 * message is answered in one shape whichever store holds it; while a mailbox moves, a message both hold is
 * the object's (it holds the newer copy).
 */

type Person = { address: string; name?: string };

/** A message of the inbox as the operations answer it. */
export interface InboxMessage {
  id: string;
  graphId: string;
  mailbox: string;
  folder: "inbox" | "sentitems";
  subject: string | null;
  fromAddress: string | null;
  fromName: string | null;
  toRecipients: Person[];
  ccRecipients: Person[];
  receivedAt: string | null;
  sentAt: string | null;
  sortAt: string;
  conversationId: string | null;
  bodyPreview: string | null;
  bodyContentType: string | null;
  bodyTruncated: boolean;
  bodySize: number | null;
  hasAttachments: boolean;
  graphModifiedAt: string | null;
  sharedInboxId: string;
  bucketId: string;
  importedAt: string;
  /** Where the message is: its mailbox object, or D1 (with the body still kept there, for mail from before R2). */
  home: { store: "object" } | { store: "d1"; legacyBody: string | null };
}

type Services_ = Pick<Services, "db" | "mailboxObjects">;
type Owner = { orgId: string; mailbox: string };

const parsePeople = (json: string): Person[] => {
  const value = JSON.parse(json) as unknown;
  return Array.isArray(value) ? (value as Person[]) : [];
};

function fromObjectRow(row: StoredMessageRow, mailbox: string, inbox: { id: string; bucketId: string }): InboxMessage {
  return {
    id: row.id,
    graphId: row.graph_id,
    mailbox,
    folder: row.folder,
    subject: row.subject,
    fromAddress: row.from_address,
    fromName: row.from_name,
    toRecipients: parsePeople(row.to_recipients),
    ccRecipients: parsePeople(row.cc_recipients),
    receivedAt: row.received_at,
    sentAt: row.sent_at,
    sortAt: row.sort_at,
    conversationId: row.conversation_id,
    bodyPreview: row.body_preview,
    bodyContentType: row.body_content_type,
    bodyTruncated: row.body_truncated === 1,
    bodySize: row.body_size,
    hasAttachments: row.has_attachments === 1,
    graphModifiedAt: row.graph_modified_at,
    sharedInboxId: inbox.id,
    bucketId: inbox.bucketId,
    importedAt: row.imported_at,
    home: { store: "object" },
  };
}

type D1Row = Omit<InboxMessage, "home"> & { bodyStore: "r2" | null; body?: string | null };

function fromD1Row(row: D1Row): InboxMessage {
  const { bodyStore, body, ...fields } = row;
  return { ...fields, home: { store: "d1", legacyBody: bodyStore === "r2" ? null : (body ?? null) } };
}

/** The org's inbox with its bucket, or 404 (an inbox of another org answers like a missing one). */
export async function inboxOf(db: Services["db"], orgId: string, inboxId: string) {
  if (inboxId === DEFAULT_INBOX_ID) return { id: inboxId, bucketId: DEFAULT_BUCKET_ID };
  const row = await findInboxRow(db, orgId, inboxId);
  if (!row) throw notFound(`Shared inbox '${inboxId}' not found`);
  return { id: inboxId, bucketId: row.bucketId ?? DEFAULT_BUCKET_ID };
}

const objectOf = (services: Services_, owner: Owner) => lockStub(services, owner.orgId, owner.mailbox);

/** A search of the inbox: an FTS5 expression (parseSearchQuery) and filters; absent: the plain listing. */
export interface InboxSearch {
  match: string | null;
  filters: SearchFilters;
}

/**
 * One page of the inbox's listed messages (all, or those a search finds), newest first, below `after`, and
 * whether more follow. Mail still in D1 (not moved into its mailbox's object yet) has no search index: a search
 * with words skips it; filters alone apply to it too.
 */
export async function listInboxMessages(
  services: Services_,
  orgId: string,
  inboxId: string,
  limit: number,
  after: ListingKey | undefined,
  search?: InboxSearch,
): Promise<{ rows: InboxMessage[]; more: boolean }> {
  const [inbox, stores] = await Promise.all([
    inboxOf(services.db, orgId, inboxId),
    inboxMailboxStores(services.db, orgId, inboxId),
  ]);
  // D1 is read before the objects: mail only ever moves from D1 into an object, so a row a move hands over
  // meanwhile is then in both answers (served once, as its object has it), never in neither.
  const fromD1 = search?.match
    ? []
    : await d1Source(services, orgId, inboxId, stores, search?.filters)(limit + 1, after);
  const sources: PageSource<InboxMessage>[] = [
    ...stores.map(
      (store): PageSource<InboxMessage> =>
        async (n, below) => {
          const owner = { orgId, mailbox: store.mailbox };
          const object = objectOf(services, owner);
          const rows = search
            ? await object.searchMessages(owner, search, n, below)
            : await object.listMessages(owner, n, below);
          return rows.map((row) => fromObjectRow(row, store.mailbox, inbox));
        },
    ),
    async () => fromD1,
  ];
  return mergePages(sources, limit, after);
}

/**
 * D1's part of the listing. A row of a mailbox that is moving and whose object already holds the message is left
 * out (the object's copy is served, at its own position); the page is topped up so the merge stays exact.
 */
function d1Source(
  services: Services_,
  orgId: string,
  inboxId: string,
  stores: MailboxStoreRow[],
  filters: SearchFilters = {},
): PageSource<InboxMessage> {
  const moving = new Set(stores.filter((s) => s.state === "moving").map((s) => s.mailbox));
  return async (n, below) => {
    const out: InboxMessage[] = [];
    let cursor = below ? ([below[0], below[1]] as [string, string]) : undefined;
    for (;;) {
      const rows = (await listInboxPage(services.db, orgId, inboxId, n, cursor, filters)) as D1Row[];
      const held = await heldByObjects(services, orgId, rows, moving);
      for (const row of rows) if (!held.has(row.id)) out.push(fromD1Row(row));
      const last = rows.at(-1);
      if (rows.length < n || out.length >= n || !last) return out.slice(0, n);
      cursor = [last.sortAt, last.id];
    }
  };
}

/** The ids among `rows` (D1 rows) that the objects of moving mailboxes already hold. */
async function heldByObjects(services: Services_, orgId: string, rows: D1Row[], moving: Set<string>) {
  const byMailbox = new Map<string, string[]>();
  for (const row of rows) {
    if (moving.has(row.mailbox)) byMailbox.set(row.mailbox, [...(byMailbox.get(row.mailbox) ?? []), row.id]);
  }
  const held = await Promise.all(
    [...byMailbox].map(([mailbox, ids]) =>
      objectOf(services, { orgId, mailbox }).heldMessages({ orgId, mailbox }, ids),
    ),
  );
  return new Set(held.flat());
}

/** The inbox's listed message with this id, or 404 (the inbox first, as everywhere). */
export async function findInboxMessage(
  services: Services_,
  orgId: string,
  inboxId: string,
  messageId: string,
): Promise<InboxMessage> {
  const missing = () => notFound(`Message '${messageId}' not found in shared inbox '${inboxId}'`);
  // D1 before the objects (see listInboxMessages): a message moving meanwhile is found in one of the two.
  const [inbox, stores, row] = await Promise.all([
    inboxOf(services.db, orgId, inboxId),
    inboxMailboxStores(services.db, orgId, inboxId),
    findInboxMessageRow(services.db, orgId, inboxId, messageId),
  ]);
  const found = await Promise.all(
    (await likelyHolders(orgId, messageId, stores)).map(async (store) => {
      const owner = { orgId, mailbox: store.mailbox };
      const row = await objectOf(services, owner).findMessage(owner, messageId);
      return row && fromObjectRow(row, store.mailbox, inbox);
    }),
  );
  const inObject = found.find((message) => message !== null);
  if (inObject) return inObject;
  if (!row) throw missing();
  // A moving mailbox's object holds the message already (perhaps as a tombstone): its copy is the message.
  const store = stores.find((s) => s.mailbox === row.mailbox && s.state === "moving");
  if (store) {
    const owner = { orgId, mailbox: row.mailbox };
    if ((await objectOf(services, owner).heldMessages(owner, [row.id])).length > 0) throw missing();
  }
  return fromD1Row(row);
}

/**
 * The mailboxes that may hold the message: the one its id names (ids of mail in an object carry its mailbox's
 * key), else every mailbox of the inbox (an id issued before the objects).
 */
async function likelyHolders(orgId: string, messageId: string, stores: MailboxStoreRow[]) {
  const key = mailboxKeyOf(messageId);
  if (key === null) return stores;
  const keys = await Promise.all(stores.map((store) => mailboxKey(orgId, store.mailbox)));
  const named = stores.filter((_, i) => keys[i] === key);
  return named.length > 0 ? named : stores;
}

/** A message's attachment rows, oldest first. */
export async function attachmentsOf(
  services: Services_,
  orgId: string,
  message: InboxMessage,
): Promise<Omit<StoredAttachment, "messageId">[]> {
  if (message.home.store === "d1") return listMessageAttachments(services.db, orgId, message.id);
  const owner = { orgId, mailbox: message.mailbox };
  return objectOf(services, owner).messageAttachments(owner, message.id);
}

/** One attachment row of a message, if any. */
export async function attachmentOf(
  services: Services_,
  orgId: string,
  message: InboxMessage,
  attachmentId: string,
): Promise<Omit<StoredAttachment, "messageId"> | undefined> {
  if (message.home.store === "d1") return findMessageAttachment(services.db, orgId, message.id, attachmentId);
  const owner = { orgId, mailbox: message.mailbox };
  return (await objectOf(services, owner).findAttachment(owner, message.id, attachmentId)) ?? undefined;
}
