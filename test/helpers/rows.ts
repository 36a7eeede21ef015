import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { servicesFor } from "@/entry/services";
import { lockStub } from "@/features/mailboxes";
import { DEFAULT_BUCKET_ID } from "@/shared/default-inbox";

/**
 * Imported messages as they are stored, for the tests that check stored state: how many a mailbox has, and
 * the row of a Graph message (what it is, whether it is deleted, where its body is). A mailbox's messages are
 * read from its Durable Object when the directory (`mailbox_stores`) says they are there, from D1 otherwise
 * (mail from before the objects), so a test reads the same rows whichever store holds them.
 */

export interface MessageRow {
  id: string;
  mailbox: string;
  graph_id: string;
  folder: "inbox" | "sentitems";
  subject: string | null;
  from_address: string | null;
  from_name: string | null;
  received_at: string | null;
  sort_at: string;
  deleted_at: string | null;
  /** The body kept in D1 (rows from before the message store); null once it is in the store. */
  body: string | null;
  body_sanitized: string | null;
  body_sanitized_truncated: number;
  body_sanitizer_version: string | null;
  body_store: string | null;
  body_size: number | null;
  has_attachments: number;
  body_truncated: number;
  graph_modified_at: string | null;
  execution_id: string;
  imported_at: string;
}

/** The columns both stores have (an object's row has no body columns: its bodies are in the message store). */
const SHARED_COLUMNS =
  "id, graph_id, folder, subject, from_address, from_name, received_at, sort_at, deleted_at, body_size, has_attachments, body_truncated, graph_modified_at, execution_id, imported_at";

const COLUMNS = `${SHARED_COLUMNS}, mailbox, body, body_sanitized, body_sanitized_truncated, body_sanitizer_version, body_store`;

/** Narrows the org's rows to one mailbox and/or one Graph message. */
export interface MessageFilter {
  mailbox?: string;
  graphId?: string;
}

function where(org: string, filter: MessageFilter) {
  const clauses = ["org_id = ?"];
  const values = [org];
  if (filter.mailbox !== undefined) {
    clauses.push("mailbox = ?");
    values.push(filter.mailbox);
  }
  if (filter.graphId !== undefined) {
    clauses.push("graph_id = ?");
    values.push(filter.graphId);
  }
  return { sql: clauses.join(" AND "), values };
}

/** The org's mailboxes whose mail is (or is moving) in their objects. */
export async function objectMailboxes(org: string): Promise<string[]> {
  const { results } = await env.DB.prepare("SELECT mailbox FROM mailbox_stores WHERE org_id = ? ORDER BY mailbox")
    .bind(org)
    .all<{ mailbox: string }>();
  return results.map((row) => row.mailbox);
}

/** Reads a mailbox object's SQLite (its message index) directly. */
export async function inMailboxObject<T>(org: string, mailbox: string, read: (sql: SqlStorage) => T): Promise<T> {
  const stub = lockStub(servicesFor(env), org, mailbox);
  // The index's tables exist once the object has opened it (any index call does). Opened through a call, not
  // inside runInDurableObject: what the object opens there would belong to the test's I/O context, and a later
  // call from a queue consumer awaiting it would fail ("Cannot perform I/O on behalf of a different Durable Object").
  await stub.messageCounts({ orgId: org, mailbox });
  return runInDurableObject(stub, (_instance, state) => read(state.storage.sql));
}

async function objectRows(org: string, mailbox: string, graphId?: string): Promise<MessageRow[]> {
  return inMailboxObject(org, mailbox, (sql) =>
    sql
      .exec<Record<string, SqlStorageValue>>(
        `SELECT ${SHARED_COLUMNS} FROM messages WHERE ?1 IS NULL OR graph_id = ?1 ORDER BY id`,
        graphId ?? null,
      )
      .toArray()
      .map(
        (row) =>
          ({
            ...row,
            mailbox,
            body: null,
            body_sanitized: null,
            body_sanitized_truncated: 0,
            body_sanitizer_version: null,
            body_store: "r2",
          }) as unknown as MessageRow,
      ),
  );
}

/** The org's imported messages (deleted ones too), by id. */
export async function messageRows(org: string, filter: MessageFilter = {}): Promise<MessageRow[]> {
  const { sql, values } = where(org, filter);
  const { results } = await env.DB.prepare(`SELECT ${COLUMNS} FROM imported_messages WHERE ${sql} ORDER BY id`)
    .bind(...values)
    .all<MessageRow>();
  const mailboxes = (await objectMailboxes(org)).filter((m) => filter.mailbox === undefined || m === filter.mailbox);
  const inObjects = await Promise.all(mailboxes.map((mailbox) => objectRows(org, mailbox, filter.graphId)));
  const ids = new Set(inObjects.flat().map((row) => row.id));
  return [...inObjects.flat(), ...results.filter((row) => !ids.has(row.id))].sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** The row of a Graph message; null when it was never imported. */
export async function messageRow(org: string, graphId: string): Promise<MessageRow | null> {
  const [row] = await messageRows(org, { graphId });
  return row ?? null;
}

/** How many messages (deleted ones too) the org has imported from `mailbox`. */
export async function countMessages(org: string, mailbox: string): Promise<number> {
  return (await messageRows(org, { mailbox })).length;
}

/**
 * The org's attachment rows with the given columns (names both stores share: name, kind, state, content_id,
 * is_inline, skipped_reason, r2_key, size, sha256, message_id), from its mailbox objects and D1, by name.
 */
export async function attachmentRows(org: string, columns: string): Promise<Record<string, unknown>[]> {
  const { results } = await env.DB.prepare(`SELECT ${columns} FROM message_attachments WHERE org_id = ?`)
    .bind(org)
    .all<Record<string, unknown>>();
  const inObjects = await Promise.all(
    (await objectMailboxes(org)).map((mailbox) =>
      inMailboxObject(org, mailbox, (sql) => sql.exec(`SELECT ${columns} FROM attachments`).toArray()),
    ),
  );
  return [...inObjects.flat(), ...results].sort((a, b) => String(a.name).localeCompare(String(b.name)));
}

/**
 * The org's import items (`mailbox_sync_items` in D1, `import_items` in a mailbox object) with the given columns
 * (names both stores share: graph_id, execution_id, folder, status, attempts, attempted_in, last_error,
 * updated_at), by Graph id.
 */
export async function importItemRows(org: string, columns: string): Promise<Record<string, unknown>[]> {
  const { results } = await env.DB.prepare(
    `SELECT ${columns}, graph_id AS sort_key FROM mailbox_sync_items WHERE org_id = ?`,
  )
    .bind(org)
    .all<Record<string, unknown>>();
  const inObjects = await Promise.all(
    (await objectMailboxes(org)).map((mailbox) =>
      inMailboxObject(org, mailbox, (sql) =>
        sql.exec(`SELECT ${columns}, graph_id AS sort_key FROM import_items`).toArray(),
      ),
    ),
  );
  return [...inObjects.flat(), ...results]
    .sort((a, b) => (String(a.sort_key) < String(b.sort_key) ? -1 : 1))
    .map(({ sort_key: _, ...row }) => row);
}

/**
 * The buckets the mailbox's stored messages are in: a D1 row's `bucket_id`; a mailbox object's messages are
 * in the bucket of the inbox its directory row (`mailbox_stores`) lists them in.
 */
export async function messageBuckets(org: string, mailbox: string): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT DISTINCT bucket_id FROM imported_messages WHERE org_id = ? AND mailbox = ?",
  )
    .bind(org, mailbox)
    .all<{ bucket_id: string }>();
  const buckets = new Set(results.map((row) => row.bucket_id));
  const inObject = (await objectMailboxes(org)).includes(mailbox)
    ? await inMailboxObject(org, mailbox, (sql) => sql.exec("SELECT count(*) AS n FROM messages").one().n as number)
    : 0;
  if (inObject > 0) {
    const store = await env.DB.prepare(
      `SELECT coalesce(b.id, ?3) AS bucket_id FROM mailbox_stores s
       LEFT JOIN inbox_buckets b ON b.org_id = s.org_id AND b.inbox_id = s.shared_inbox_id
       WHERE s.org_id = ?1 AND s.mailbox = ?2`,
    )
      .bind(org, mailbox, DEFAULT_BUCKET_ID)
      .first<{ bucket_id: string }>();
    if (store) buckets.add(store.bucket_id);
  }
  return [...buckets].sort();
}

/** Makes a stored message a tombstone deleted at `deletedAt`, wherever its mailbox keeps it (as live sync would). */
export async function tombstoneMessage(org: string, graphId: string, deletedAt: string): Promise<void> {
  await env.DB.prepare("UPDATE imported_messages SET deleted_at = ?3 WHERE org_id = ?1 AND graph_id = ?2")
    .bind(org, graphId, deletedAt)
    .run();
  for (const mailbox of await objectMailboxes(org)) {
    await inMailboxObject(org, mailbox, (sql) =>
      sql.exec("UPDATE messages SET deleted_at = ?2 WHERE graph_id = ?1", graphId, deletedAt).toArray(),
    );
  }
}
