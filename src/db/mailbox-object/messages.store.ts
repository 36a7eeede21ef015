import type { ImportRow } from "@/clients/graph/mail";
import { jsonChunks } from "@/db/json-chunks";

/**
 * The statements of a mailbox object's message index (src/db/mailbox-object/schema.ts): one object per org and
 * mailbox, so no statement names either. They run on the object's own SQLite (`ctx.storage.sql`), inside
 * `transactionSync` where several belong together, and mirror the D1 statements of
 * src/db/message-store/imported-messages.store.ts (same JSON rows, same refresh rules), so the import and live
 * writers hand the object what they hand D1 today.
 */

/**
 * A message row as the import and live writers produce it (one element of the JSON chunk): the converted
 * Graph message, its body in R2 (so no body column, but its size).
 */
export type IncomingMessage = Omit<ImportRow, "body"> & { body_size: number | null };

/**
 * A new row's place in the full-text index: past the largest in use (the uncorrelated subquery is evaluated once
 * per statement), one per element of the statement's JSON array.
 */
const NEXT_SEARCH_ROWID = "(SELECT coalesce(max(search_rowid), 0) FROM messages) + j.key + 1";

/** The columns a message row is written with, from `j.value` of `json_each(?1)`. */
const INSERT_FROM_JSON = `INSERT INTO messages (id, graph_id, folder, subject, from_address, from_name,
  to_recipients, cc_recipients, received_at, sent_at, sort_at, conversation_id, body_preview, body_content_type,
  body_truncated, body_size, has_attachments, execution_id, imported_at, graph_modified_at, search_rowid)
SELECT j.value ->> '$.uid', j.value ->> '$.graph_id', j.value ->> '$.folder', j.value ->> '$.subject',
  j.value ->> '$.from_address', j.value ->> '$.from_name', j.value ->> '$.to', j.value ->> '$.cc',
  j.value ->> '$.received_at', j.value ->> '$.sent_at', j.value ->> '$.sort_at', j.value ->> '$.conversation_id',
  j.value ->> '$.body_preview', j.value ->> '$.body_content_type', j.value ->> '$.body_truncated',
  j.value ->> '$.body_size', j.value ->> '$.has_attachments', ?2, ?3, j.value ->> '$.graph_modified_at',
  ${NEXT_SEARCH_ROWID}
FROM json_each(?1) AS j`;

/** Replaces a stored row's message fields with the incoming copy and lists it again; the row keeps its id. */
const REFRESH = `folder = excluded.folder, subject = excluded.subject, from_address = excluded.from_address,
  from_name = excluded.from_name, to_recipients = excluded.to_recipients, cc_recipients = excluded.cc_recipients,
  received_at = excluded.received_at, sent_at = excluded.sent_at, sort_at = excluded.sort_at,
  conversation_id = excluded.conversation_id, body_preview = excluded.body_preview,
  body_content_type = excluded.body_content_type, body_truncated = excluded.body_truncated,
  graph_modified_at = excluded.graph_modified_at, body_size = excluded.body_size,
  has_attachments = excluded.has_attachments, deleted_at = NULL`;

/**
 * An import page's rows (?1 rows, ?2 execution, ?3 now, ?4 read at): a message with a row stays as it is,
 * except a tombstone older than the page (deleted and back: revived with its id); a message live sync saw
 * leave this folder after the page was read is not written (its page copy is stale).
 */
const IMPORT_INSERT = `${INSERT_FROM_JSON}
WHERE NOT EXISTS (SELECT 1 FROM import_items r WHERE r.graph_id = j.value ->> '$.graph_id'
  AND r.status = 'REMOVED' AND r.folder = j.value ->> '$.folder' AND r.updated_at >= ?4)
ON CONFLICT (graph_id) DO UPDATE SET ${REFRESH}
WHERE messages.deleted_at IS NOT NULL AND messages.deleted_at < ?4
RETURNING id, graph_id, folder`;

/**
 * A delta page's rows (?1 rows, ?2 the live run's execution id, ?3 now): a known row is refreshed only when
 * Graph's version is newer (or as new, in another folder or as a tombstone), so replayed and out-of-order
 * pages never move a message back.
 */
const LIVE_UPSERT = `${INSERT_FROM_JSON} WHERE true
ON CONFLICT (graph_id) DO UPDATE SET ${REFRESH}
WHERE excluded.graph_modified_at IS NULL OR messages.graph_modified_at IS NULL
  OR excluded.graph_modified_at > messages.graph_modified_at
  OR (excluded.graph_modified_at = messages.graph_modified_at
      AND (excluded.folder <> messages.folder OR messages.deleted_at IS NOT NULL))
RETURNING id, graph_id, folder`;

/** Removed messages still listed in `folder` become tombstones (?1 folder, ?2 now, ?3 Graph ids JSON). */
const TOMBSTONE = `UPDATE messages SET deleted_at = ?2, body_preview = NULL
WHERE folder = ?1 AND deleted_at IS NULL AND graph_id IN (SELECT value FROM json_each(?3))
RETURNING graph_id`;

/**
 * Rows moved in from D1 (?1 rows: D1's `imported_messages` columns as JSON, with their ids): a message the
 * object already holds is left as it is (what the object holds is as new or newer), so a move that is
 * repeated or resumed adds nothing twice. Answers the ids it added.
 */
const ADOPT = `INSERT INTO messages (id, graph_id, folder, subject, from_address, from_name, to_recipients,
  cc_recipients, received_at, sent_at, sort_at, conversation_id, body_preview, body_content_type, body_truncated,
  body_size, has_attachments, execution_id, imported_at, graph_modified_at, deleted_at, live_seen_round, search_rowid)
SELECT j.value ->> '$.id', j.value ->> '$.graph_id', j.value ->> '$.folder', j.value ->> '$.subject',
  j.value ->> '$.from_address', j.value ->> '$.from_name', j.value ->> '$.to_recipients',
  j.value ->> '$.cc_recipients', j.value ->> '$.received_at', j.value ->> '$.sent_at', j.value ->> '$.sort_at',
  j.value ->> '$.conversation_id', j.value ->> '$.body_preview', j.value ->> '$.body_content_type',
  j.value ->> '$.body_truncated', j.value ->> '$.body_size', j.value ->> '$.has_attachments',
  j.value ->> '$.execution_id', j.value ->> '$.imported_at', j.value ->> '$.graph_modified_at',
  j.value ->> '$.deleted_at', j.value ->> '$.live_seen_round', ${NEXT_SEARCH_ROWID}
FROM json_each(?1) AS j
WHERE true
ON CONFLICT DO NOTHING
RETURNING id`;

/** A D1 message row as the move hands it over (D1's column names; JSON columns as their text). */
export type D1MessageRow = StoredMessageRow & { deleted_at: string | null; live_seen_round: string | null };

/** Listing columns: every column (the object holds no bodies). */
const LISTED = `id, graph_id, folder, subject, from_address, from_name, to_recipients, cc_recipients, received_at,
  sent_at, sort_at, conversation_id, body_preview, body_content_type, body_truncated, body_size, has_attachments,
  execution_id, imported_at, graph_modified_at`;

/** A stored message as the object answers it (JSON columns as their text; booleans as 0/1). */
export interface StoredMessageRow {
  id: string;
  graph_id: string;
  folder: "inbox" | "sentitems";
  subject: string | null;
  from_address: string | null;
  from_name: string | null;
  to_recipients: string;
  cc_recipients: string;
  received_at: string | null;
  sent_at: string | null;
  sort_at: string;
  conversation_id: string | null;
  body_preview: string | null;
  body_content_type: string | null;
  body_truncated: number;
  body_size: number | null;
  has_attachments: number;
  execution_id: string;
  imported_at: string;
  graph_modified_at: string | null;
}

/** A listing position: the (sort time, id) of the last message served; the next page starts below it. */
export type ListingKey = readonly [sortAt: string, id: string];

/** What a write changed: the rows inserted or refreshed (by the upsert's RETURNING). */
export interface WrittenRows {
  written: { id: string; graph_id: string; folder: string }[];
}

type Row = Record<string, SqlStorageValue>;

export class MailboxMessages {
  constructor(private readonly sql: SqlStorage) {}

  /** An import page's rows (see IMPORT_INSERT); call inside the write's transaction. */
  writeImportRows(rows: IncomingMessage[], at: { executionId: string; now: string; readAt: string }): WrittenRows {
    const written = jsonChunks(rows).flatMap((json) =>
      this.sql
        .exec<{ id: string; graph_id: string; folder: string }>(IMPORT_INSERT, json, at.executionId, at.now, at.readAt)
        .toArray(),
    );
    return { written };
  }

  /** A delta page's rows (see LIVE_UPSERT); call inside the write's transaction. */
  upsertLiveRows(rows: IncomingMessage[], at: { executionId: string; now: string }): WrittenRows {
    const written = jsonChunks(rows).flatMap((json) =>
      this.sql
        .exec<{ id: string; graph_id: string; folder: string }>(LIVE_UPSERT, json, at.executionId, at.now)
        .toArray(),
    );
    return { written };
  }

  /** Tombstones the listed messages of `folder` among `graphIds`; answers the Graph ids it tombstoned. */
  tombstone(folder: "inbox" | "sentitems", graphIds: string[], now: string): string[] {
    return jsonChunks(graphIds).flatMap((json) =>
      this.sql
        .exec<{ graph_id: string }>(TOMBSTONE, folder, now, json)
        .toArray()
        .map((row) => row.graph_id),
    );
  }

  /** A resync round's mark on the rows of `folder` its page lists (see D1's live_seen_round). */
  markSeen(folder: "inbox" | "sentitems", round: string, graphIds: string[]): void {
    for (const json of jsonChunks(graphIds)) {
      this.sql.exec(
        "UPDATE messages SET live_seen_round = ?2 WHERE folder = ?1 AND graph_id IN (SELECT value FROM json_each(?3))",
        folder,
        round,
        json,
      );
    }
  }

  /**
   * At a resync round's deltaLink: tombstones every listed row of `folder` received in the round's window that
   * the round did not mark (deleted while the delta token was expired); answers their Graph ids.
   */
  sweepUnseen(
    folder: "inbox" | "sentitems",
    round: { round: string; since: string; startedAt: string },
    now: string,
  ): string[] {
    return this.sql
      .exec<{ graph_id: string }>(
        `UPDATE messages SET deleted_at = ?5, body_preview = NULL
         WHERE folder = ?1 AND deleted_at IS NULL AND received_at >= ?3 AND received_at <= ?4 AND imported_at <= ?4
           AND live_seen_round IS NOT ?2
         RETURNING graph_id`,
        folder,
        round.round,
        round.since,
        round.startedAt,
        now,
      )
      .toArray()
      .map((row) => row.graph_id);
  }

  /**
   * Removed Graph ids worth a lookup in Graph (live/removals.ts): a listed row of `folder` received before the
   * live window, and while an import runs any message without a row.
   */
  worthALookup(folder: "inbox" | "sentitems", removed: string[], windowStart: string | null, importRuns: boolean) {
    return jsonChunks(removed).flatMap((json) =>
      this.sql
        .exec<{ graph_id: string }>(
          `SELECT j.value AS graph_id FROM json_each(?2) AS j
           WHERE EXISTS (SELECT 1 FROM messages m WHERE m.graph_id = j.value AND m.folder = ?1 AND m.deleted_at IS NULL
               AND (?3 IS NULL OR julianday(m.received_at) IS NULL OR julianday(m.received_at) < julianday(?3)))
             OR (?4 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.graph_id = j.value))`,
          folder,
          json,
          windowStart,
          importRuns ? 1 : 0,
        )
        .toArray()
        .map((row) => row.graph_id),
    );
  }

  /** The Graph ids among `graphIds` without a listed row (none, or a tombstone): their content has no owner. */
  withoutRow(graphIds: string[]): string[] {
    return jsonChunks(graphIds).flatMap((json) =>
      this.sql
        .exec<{ graph_id: string }>(
          `SELECT j.value AS graph_id FROM json_each(?1) AS j WHERE NOT EXISTS (
             SELECT 1 FROM messages m WHERE m.graph_id = j.value AND m.deleted_at IS NULL)`,
          json,
        )
        .toArray()
        .map((row) => row.graph_id),
    );
  }

  /** Up to `limit` listed messages (no tombstones), newest first, below `after` when given. */
  page(limit: number, after?: ListingKey): StoredMessageRow[] {
    const rows = after
      ? this.sql.exec<Row>(
          `SELECT ${LISTED} FROM messages WHERE deleted_at IS NULL AND (sort_at < ?1 OR (sort_at = ?1 AND id < ?2))
           ORDER BY sort_at DESC, id DESC LIMIT ?3`,
          after[0],
          after[1],
          limit,
        )
      : this.sql.exec<Row>(
          `SELECT ${LISTED} FROM messages WHERE deleted_at IS NULL ORDER BY sort_at DESC, id DESC LIMIT ?1`,
          limit,
        );
    return rows.toArray() as unknown as StoredMessageRow[];
  }

  /** The listed (not tombstoned) message with this id. */
  find(id: string): StoredMessageRow | undefined {
    const [row] = this.sql
      .exec<Row>(`SELECT ${LISTED} FROM messages WHERE id = ?1 AND deleted_at IS NULL`, id)
      .toArray();
    return row as unknown as StoredMessageRow | undefined;
  }

  /** Rows moved in from D1 (see ADOPT); answers the ids added. Call inside the move's transaction. */
  adopt(rows: D1MessageRow[]): string[] {
    return jsonChunks(rows).flatMap((json) =>
      this.sql
        .exec<{ id: string }>(ADOPT, json)
        .toArray()
        .map((row) => row.id),
    );
  }

  /**
   * Of D1 rows handed over, the ids of those the object holds: by id, or by Graph id under an id of its own (the
   * object's row is the message then; D1's copy can go).
   */
  heldRows(rows: { id: string; graph_id: string }[]): string[] {
    const held = new Set(this.held(rows.map((row) => row.id)));
    const graphIds = new Set(
      jsonChunks(rows.map((row) => row.graph_id)).flatMap((json) =>
        this.sql
          .exec<{ graph_id: string }>(
            "SELECT graph_id FROM messages WHERE graph_id IN (SELECT value FROM json_each(?1))",
            json,
          )
          .toArray()
          .map((row) => row.graph_id),
      ),
    );
    return rows.filter((row) => held.has(row.id) || graphIds.has(row.graph_id)).map((row) => row.id);
  }

  /** Whether the Graph message has a row (a tombstone too). */
  hasGraphId(graphId: string): boolean {
    return this.sql.exec("SELECT 1 AS found FROM messages WHERE graph_id = ?1", graphId).toArray().length > 0;
  }

  /** Which of `ids` the object holds (tombstones too): the move's check before D1 lets go of its rows. */
  held(ids: string[]): string[] {
    return jsonChunks(ids).flatMap((json) =>
      this.sql
        .exec<{ id: string }>("SELECT id FROM messages WHERE id IN (SELECT value FROM json_each(?1))", json)
        .toArray()
        .map((row) => row.id),
    );
  }

  /** Listed messages and tombstones held. */
  counts(): { listed: number; tombstones: number } {
    const row = this.sql
      .exec<{ listed: number; tombstones: number }>(
        `SELECT count(*) FILTER (WHERE deleted_at IS NULL) AS listed,
                count(*) FILTER (WHERE deleted_at IS NOT NULL) AS tombstones FROM messages`,
      )
      .one();
    return { listed: row.listed, tombstones: row.tombstones };
  }
}
