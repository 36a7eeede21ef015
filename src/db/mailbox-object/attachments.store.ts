import { jsonChunks } from "@/db/json-chunks";
import type { AttachmentRecord } from "@/db/message-store/attachments";

/**
 * The statements of a mailbox object's `attachments`: the attachment rows of its messages (metadata; the
 * bytes are in R2), as D1's `message_attachments` keeps them for a mailbox whose mail is still in D1.
 */

/**
 * Rows found by the message's Graph id (?1 now, ?2 rows), so they attach to whichever row the message has and
 * never to a tombstone: a stale page of a message deleted meanwhile attaches nothing.
 */
const UPSERT = `INSERT INTO attachments (message_id, id, name, content_type, size, content_id, is_inline, kind,
  state, skipped_reason, r2_key, sha256, created_at)
SELECT m.id, j.value ->> '$.id', j.value ->> '$.name', j.value ->> '$.content_type', j.value ->> '$.size',
  j.value ->> '$.content_id', j.value ->> '$.is_inline', j.value ->> '$.kind', j.value ->> '$.state',
  j.value ->> '$.skipped_reason', j.value ->> '$.r2_key', j.value ->> '$.sha256', ?1
FROM json_each(?2) AS j
JOIN messages m ON m.graph_id = j.value ->> '$.graph_id' AND m.deleted_at IS NULL
WHERE true
ON CONFLICT (message_id, id) DO UPDATE SET
  name = excluded.name, content_type = excluded.content_type, size = excluded.size,
  content_id = excluded.content_id, is_inline = excluded.is_inline, kind = excluded.kind, state = excluded.state,
  skipped_reason = excluded.skipped_reason, r2_key = excluded.r2_key, sha256 = excluded.sha256`;

/** D1's attachment rows moved in with their message (?1 rows, D1's column names). */
const ADOPT = `INSERT INTO attachments (message_id, id, name, content_type, size, content_id, is_inline, kind,
  state, skipped_reason, r2_key, sha256, created_at)
SELECT j.value ->> '$.message_id', j.value ->> '$.id', j.value ->> '$.name', j.value ->> '$.content_type',
  j.value ->> '$.size', j.value ->> '$.content_id', j.value ->> '$.is_inline', j.value ->> '$.kind',
  j.value ->> '$.state', j.value ->> '$.skipped_reason', j.value ->> '$.r2_key', j.value ->> '$.sha256',
  j.value ->> '$.created_at'
FROM json_each(?1) AS j WHERE true
ON CONFLICT (message_id, id) DO NOTHING`;

/** An attachment row as D1 keeps it (the move hands these over; D1's column names). */
export type D1AttachmentRow = Omit<AttachmentRecord, "graph_id"> & { message_id: string; created_at: string };

/** An attachment row as the object answers it (the shape of D1's rows through drizzle, without the org). */
export interface StoredAttachment {
  messageId: string;
  id: string;
  name: string;
  contentType: string | null;
  size: number;
  contentId: string | null;
  isInline: boolean;
  kind: AttachmentRecord["kind"];
  state: AttachmentRecord["state"];
  skippedReason: string | null;
  r2Key: string | null;
  sha256: string | null;
  createdAt: string;
}

const COLUMNS = `message_id AS messageId, id, name, content_type AS contentType, size, content_id AS contentId,
  is_inline AS isInline, kind, state, skipped_reason AS skippedReason, r2_key AS r2Key, sha256,
  created_at AS createdAt`;

type Row = Omit<StoredAttachment, "isInline"> & { isInline: number };

const toAttachment = (row: Row): StoredAttachment => ({ ...row, isInline: row.isInline === 1 });

export class MessageAttachments {
  constructor(private readonly sql: SqlStorage) {}

  /** Stores a page's attachment rows; call in the page's transaction, after its message rows. */
  upsert(records: AttachmentRecord[], now: string): void {
    for (const json of jsonChunks(records)) this.sql.exec(UPSERT, now, json);
  }

  /** Rows moved in from D1 (kept as they are when the object has them already). */
  adopt(rows: D1AttachmentRow[]): void {
    for (const json of jsonChunks(rows)) this.sql.exec(ADOPT, json);
  }

  /** Drops the attachment rows of messages that became tombstones (by Graph id). */
  dropFor(graphIds: string[]): void {
    for (const json of jsonChunks(graphIds)) {
      this.sql.exec(
        `DELETE FROM attachments WHERE message_id IN (
           SELECT id FROM messages WHERE graph_id IN (SELECT value FROM json_each(?1)))`,
        json,
      );
    }
  }

  /** A message's attachment rows, oldest first. */
  of(messageId: string): StoredAttachment[] {
    return this.sql
      .exec<Row>(`SELECT ${COLUMNS} FROM attachments WHERE message_id = ?1 ORDER BY created_at, id`, messageId)
      .toArray()
      .map(toAttachment);
  }

  /** One attachment row of a message. */
  find(messageId: string, id: string): StoredAttachment | undefined {
    const [row] = this.sql
      .exec<Row>(`SELECT ${COLUMNS} FROM attachments WHERE message_id = ?1 AND id = ?2`, messageId, id)
      .toArray();
    return row && toAttachment(row);
  }
}
