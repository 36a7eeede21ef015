import type { AttachmentRecord } from "./attachments";
import { type MessageRef, mailboxPrefix, messagePrefix, orgPrefix } from "./keys";
import { deletePrefix } from "./objects";

/**
 * D1 statements of the message store, for the callers' own `db.batch`: the attachment rows of imported
 * messages (found by org, mailbox and Graph id, so they attach to whichever row the message has, never to a
 * tombstone: a stale import page of a message deleted meanwhile attaches nothing), and
 * the removal of a message's attachment rows. Rows travel as one JSON parameter (json_each).
 */

// ?1 org, ?2 mailbox, ?3 now, ?4 rows (JSON)
const UPSERT_ATTACHMENTS = `INSERT INTO message_attachments (org_id, message_id, id, name, content_type, size,
  content_id, is_inline, kind, state, skipped_reason, r2_key, sha256, created_at)
SELECT ?1, m.id, j.value ->> '$.id', j.value ->> '$.name', j.value ->> '$.content_type', j.value ->> '$.size',
  j.value ->> '$.content_id', j.value ->> '$.is_inline', j.value ->> '$.kind', j.value ->> '$.state',
  j.value ->> '$.skipped_reason', j.value ->> '$.r2_key', j.value ->> '$.sha256', ?3
FROM json_each(?4) AS j
JOIN imported_messages m ON m.org_id = ?1 AND m.mailbox = ?2 AND m.graph_id = j.value ->> '$.graph_id'
  AND m.deleted_at IS NULL
WHERE true
ON CONFLICT (org_id, message_id, id) DO UPDATE SET
  name = excluded.name, content_type = excluded.content_type, size = excluded.size,
  content_id = excluded.content_id, is_inline = excluded.is_inline, kind = excluded.kind, state = excluded.state,
  skipped_reason = excluded.skipped_reason, r2_key = excluded.r2_key, sha256 = excluded.sha256`;

const MAX_CHUNK_ROWS = 100;

/** Statements that store the attachment rows (after the statements that insert their messages). */
export function attachmentStatements(
  db: D1Database,
  scope: { orgId: string; mailbox: string },
  records: AttachmentRecord[],
): D1PreparedStatement[] {
  const now = new Date().toISOString();
  const out: D1PreparedStatement[] = [];
  for (let i = 0; i < records.length; i += MAX_CHUNK_ROWS) {
    const json = JSON.stringify(records.slice(i, i + MAX_CHUNK_ROWS));
    out.push(db.prepare(UPSERT_ATTACHMENTS).bind(scope.orgId, scope.mailbox, now, json));
  }
  return out;
}

/**
 * Removes what the store holds for messages that are gone (live sync's tombstones): their attachment
 * rows and every object under their keys.
 */
export async function removeMessageContent(db: D1Database, bucket: R2Bucket, refs: MessageRef[]): Promise<void> {
  if (refs.length === 0) return;
  const byMailbox = new Map<string, MessageRef[]>();
  for (const ref of refs)
    byMailbox.set(`${ref.orgId}\n${ref.mailbox}`, [...(byMailbox.get(`${ref.orgId}\n${ref.mailbox}`) ?? []), ref]);
  for (const group of byMailbox.values()) {
    const first = group[0] as MessageRef;
    await db
      .prepare(
        `DELETE FROM message_attachments WHERE org_id = ?1 AND message_id IN (
          SELECT id FROM imported_messages WHERE org_id = ?1 AND mailbox = ?2
            AND graph_id IN (SELECT value FROM json_each(?3)))`,
      )
      .bind(first.orgId, first.mailbox, JSON.stringify(group.map((r) => r.graphId)))
      .run();
  }
  for (const ref of refs) await deletePrefix(bucket, await messagePrefix(ref));
}

/** Messages whose rows (and attachment rows) one transaction of a mailbox purge deletes. */
const PURGE_CHUNK_ROWS = 500;

/**
 * ?1 org, ?2 mailbox (absent: every mailbox of the org), ?3 chunk size. Both statements of a chunk's batch
 * use the same subquery, ordered along the (org, mailbox, graph id) unique index: the attachment rows of
 * exactly the messages deleted right after, and no scan beyond the chunk.
 */
const purgeChunk = (mailbox: boolean) =>
  `SELECT id FROM imported_messages WHERE org_id = ?1 ${mailbox ? "AND mailbox = ?2" : "AND ?2 IS NULL"}
   ORDER BY org_id, mailbox, graph_id LIMIT ?3`;

/**
 * Removes an org's imported mail (one mailbox's, or all of it): the D1 rows first (so no row points at a
 * missing object), in transactions of PURGE_CHUNK_ROWS messages with their attachment rows (so a big
 * mailbox never needs one huge statement), then every object under the mailbox's (or org's) prefix, in
 * deletes of at most 1000 keys. Answers how many message rows and objects went. Objects that a racing
 * writer stores afterwards are that writer's to remove (mailboxes/purge.ts).
 */
export async function deleteMailboxContent(
  env: { DB: D1Database; MESSAGE_STORE: R2Bucket },
  orgId: string,
  mailbox?: string,
): Promise<{ messages: number; objects: number }> {
  const bind = (query: string) => env.DB.prepare(query).bind(orgId, mailbox ?? null, PURGE_CHUNK_ROWS);
  const chunk = purgeChunk(mailbox !== undefined);
  let messages = 0;
  for (;;) {
    const [, deleted] = await env.DB.batch([
      bind(`DELETE FROM message_attachments WHERE org_id = ?1 AND message_id IN (${chunk})`),
      bind(`DELETE FROM imported_messages WHERE org_id = ?1 AND id IN (${chunk})`),
    ]);
    const changes = deleted?.meta.changes ?? 0;
    messages += changes;
    if (changes < PURGE_CHUNK_ROWS) break;
  }
  const prefix = mailbox ? await mailboxPrefix(orgId, mailbox) : orgPrefix(orgId);
  const objects = await deletePrefix(env.MESSAGE_STORE, prefix);
  return { messages, objects };
}
