import { jsonChunks } from "@/db/json-chunks";
import type { AttachmentRecord } from "@/db/message-store/attachments";
import { foldForSearch } from "@/shared/search-query";
import type { IncomingMessage, ListingKey, StoredMessageRow } from "./messages.store";

/**
 * The full-text index of a mailbox object's messages (`message_search`: FTS5, contentless, so it keeps no second
 * copy of the text, only the index; `contentless_delete` lets an entry be replaced or removed). One entry per
 * listed message, at the message's `search_rowid`, over its subject, its people (sender and recipients, names and
 * addresses), its body's text (bounded, src/shared/search-text.ts) and its attachments' names. Written in the
 * transaction that writes the message; a tombstone's entry goes with it. The tokenizer (unicode61,
 * `remove_diacritics 2`) folds case and diacritics; ß is folded to "ss" here and in the query.
 */

/** What a writer adds to a row to index it: its body's text (searchableBody). */
export interface SearchFields {
  search_body?: string;
}

/** A search's filters beside the words (each optional). */
export interface SearchFilters {
  folder?: "inbox" | "sentitems";
  /** The sender's address, lowercased (exact match). */
  from?: string;
  /** ISO times: received at or after, and before. */
  receivedAfter?: string;
  receivedBefore?: string;
  hasAttachments?: boolean;
}

/** One entry of the index, by the Graph id of its message. */
interface Entry {
  graph_id: string;
  subject: string;
  people: string;
  body: string;
  attachments: string;
}

/** A stored row the alarm indexes from R2 (rows moved in from D1, rows from before the index). */
export interface BacklogRow {
  id: string;
  graph_id: string;
  subject: string | null;
  from_address: string | null;
  from_name: string | null;
  to_recipients: string;
  cc_recipients: string;
  body_content_type: string | null;
}

const peopleOf = (json: string): string[] => {
  try {
    const list = JSON.parse(json) as unknown;
    return Array.isArray(list)
      ? list.flatMap((p: { address?: unknown; name?: unknown }) => [String(p?.name ?? ""), String(p?.address ?? "")])
      : [];
  } catch {
    return [];
  }
};

const people = (fromName: string | null, fromAddress: string | null, to: string, cc: string) =>
  foldForSearch([fromName ?? "", fromAddress ?? "", ...peopleOf(to), ...peopleOf(cc)].join(" "));

const LISTED = `m.id, m.graph_id, m.folder, m.subject, m.from_address, m.from_name, m.to_recipients, m.cc_recipients,
  m.received_at, m.sent_at, m.sort_at, m.conversation_id, m.body_preview, m.body_content_type, m.body_truncated,
  m.body_size, m.has_attachments, m.execution_id, m.imported_at, m.graph_modified_at`;

type Row = Record<string, SqlStorageValue>;

/**
 * Matches from which a search walks the listing's order rather than sorting its matches: past it, matching rows
 * are dense enough that a page of 50 is found within a few thousand rows of the walk.
 */
const DENSE_MATCHES = 2_000;

export class MessageSearch {
  constructor(private readonly sql: SqlStorage) {}

  /**
   * Indexes the page's rows the write stored (`written`: their Graph ids), with their attachments' names; call in
   * the page's transaction, after its rows and attachment rows.
   */
  indexWritten(rows: (IncomingMessage & SearchFields)[], written: Set<string>, attachments: AttachmentRecord[]) {
    const names = new Map<string, string[]>();
    for (const a of attachments) names.set(a.graph_id, [...(names.get(a.graph_id) ?? []), a.name]);
    this.index(
      rows
        .filter((row) => written.has(row.graph_id))
        .map((row) => ({
          graph_id: row.graph_id,
          subject: foldForSearch(row.subject ?? ""),
          people: people(row.from_name, row.from_address, row.to, row.cc),
          body: row.search_body ?? "",
          attachments: foldForSearch((names.get(row.graph_id) ?? []).join(" ")),
        })),
    );
  }

  /**
   * Indexes rows of the backlog with their bodies' text (`bodies`: by Graph id, read from R2 while nothing of the
   * object was locked) and their stored attachments. Call in one transaction: only rows still waiting are indexed,
   * read again now, so a page that wrote a row meanwhile (and indexed its newer copy) is never overwritten.
   */
  indexBacklog(rows: BacklogRow[], bodies: Map<string, string>) {
    const waiting = jsonChunks(rows.map((row) => row.id)).flatMap(
      (json) =>
        this.sql
          .exec<Row>(
            `SELECT id, graph_id, subject, from_address, from_name, to_recipients, cc_recipients, body_content_type
             FROM messages WHERE id IN (SELECT value FROM json_each(?1)) AND search_indexed = 0 AND deleted_at IS NULL`,
            json,
          )
          .toArray() as unknown as BacklogRow[],
    );
    const names = new Map<string, string[]>();
    for (const json of jsonChunks(waiting.map((row) => row.id))) {
      const rows = this.sql
        .exec<{ message_id: string; name: string }>(
          "SELECT message_id, name FROM attachments WHERE message_id IN (SELECT value FROM json_each(?1))",
          json,
        )
        .toArray();
      for (const a of rows) names.set(a.message_id, [...(names.get(a.message_id) ?? []), a.name]);
    }
    this.index(
      waiting.map((row) => ({
        graph_id: row.graph_id,
        subject: foldForSearch(row.subject ?? ""),
        people: people(row.from_name, row.from_address, row.to_recipients, row.cc_recipients),
        body: bodies.get(row.graph_id) ?? "",
        attachments: foldForSearch((names.get(row.id) ?? []).join(" ")),
      })),
    );
  }

  /** Up to `limit` listed rows not indexed yet. */
  backlog(limit: number): BacklogRow[] {
    return this.sql
      .exec<Row>(
        `SELECT id, graph_id, subject, from_address, from_name, to_recipients, cc_recipients, body_content_type
         FROM messages WHERE search_indexed = 0 AND deleted_at IS NULL LIMIT ?1`,
        limit,
      )
      .toArray() as unknown as BacklogRow[];
  }

  /** Removes the entries of messages that became tombstones (by Graph id); call in their transaction. */
  remove(graphIds: string[]): void {
    for (const json of jsonChunks(graphIds)) {
      this.sql.exec(
        `DELETE FROM message_search WHERE rowid IN (
           SELECT search_rowid FROM messages WHERE graph_id IN (SELECT value FROM json_each(?1)))`,
        json,
      );
      this.sql.exec("UPDATE messages SET search_indexed = 0 WHERE graph_id IN (SELECT value FROM json_each(?1))", json);
    }
  }

  /**
   * Up to `limit` listed messages that match `match` (an FTS5 expression from parseSearchQuery; null: every
   * message) and the filters, newest first by (sort time, id), below `after`.
   */
  search(match: string | null, filters: SearchFilters, limit: number, after?: ListingKey): StoredMessageRow[] {
    const where = ["m.deleted_at IS NULL"];
    const params: SqlStorageValue[] = [];
    const param = (value: SqlStorageValue) => {
      params.push(value);
      return `?${params.length}`;
    };
    // Few matches: join them and sort them. Many: walk the listing's order and keep the matching rows, so a page
    // stops after `limit` of them instead of sorting every match (the index's rows are in write order).
    const dense = match !== null && this.matchesAtLeast(match, DENSE_MATCHES);
    if (match !== null && !dense) where.push(`message_search MATCH ${param(match)}`);
    if (match !== null && dense) {
      where.push(`m.search_rowid IN (SELECT rowid FROM message_search WHERE message_search MATCH ${param(match)})`);
    }
    if (filters.folder) where.push(`m.folder = ${param(filters.folder)}`);
    if (filters.from) where.push(`m.from_address = ${param(filters.from)}`);
    if (filters.receivedAfter) where.push(`m.received_at >= ${param(filters.receivedAfter)}`);
    if (filters.receivedBefore) where.push(`m.received_at < ${param(filters.receivedBefore)}`);
    if (filters.hasAttachments !== undefined)
      where.push(`m.has_attachments = ${param(filters.hasAttachments ? 1 : 0)}`);
    if (after) {
      const [sortAt, id] = [param(after[0]), param(after[1])];
      where.push(`(m.sort_at < ${sortAt} OR (m.sort_at = ${sortAt} AND m.id < ${id}))`);
    }
    const from =
      match !== null && !dense
        ? "message_search JOIN messages m ON m.search_rowid = message_search.rowid"
        : "messages m INDEXED BY messages_listing_idx";
    return this.sql
      .exec<Row>(
        `SELECT ${LISTED} FROM ${from} WHERE ${where.join(" AND ")} ORDER BY m.sort_at DESC, m.id DESC LIMIT ${param(limit)}`,
        ...params,
      )
      .toArray() as unknown as StoredMessageRow[];
  }

  /** Whether `match` finds at least `n` messages (counting stops there). */
  private matchesAtLeast(match: string, n: number): boolean {
    const row = this.sql
      .exec<{ n: number }>(
        "SELECT count(*) AS n FROM (SELECT rowid FROM message_search WHERE message_search MATCH ?1 LIMIT ?2)",
        match,
        n,
      )
      .one();
    return row.n >= n;
  }

  private index(entries: Entry[]): void {
    for (const json of jsonChunks(entries)) {
      this.sql.exec(
        `INSERT OR REPLACE INTO message_search (rowid, subject, people, body, attachments)
         SELECT m.search_rowid, j.value ->> '$.subject', j.value ->> '$.people', j.value ->> '$.body',
           j.value ->> '$.attachments'
         FROM json_each(?1) AS j JOIN messages m ON m.graph_id = j.value ->> '$.graph_id' AND m.deleted_at IS NULL`,
        json,
      );
      this.sql.exec(
        `UPDATE messages SET search_indexed = 1 WHERE deleted_at IS NULL
           AND graph_id IN (SELECT j.value ->> '$.graph_id' FROM json_each(?1) AS j)`,
        json,
      );
    }
  }
}
