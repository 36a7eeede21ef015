import type { AttachmentRecord } from "./attachments";
import { type MessageRef, mailboxPrefix, messagePrefix, orgPrefix } from "./keys";
import { deletePrefix } from "./objects";

/**
 * D1 statements of the message store, for the callers' own `db.batch`: the attachment rows of imported
 * messages (found by org, mailbox and Graph id, so they attach to whichever row the message has), and
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

/**
 * Removes an org's imported mail (one mailbox's, or all of it): the D1 rows first (so no row points at a
 * missing object), then every object under the mailbox's (or org's) prefix. For the removal of an org's
 * mailbox data; answers how many rows and objects went.
 */
export async function deleteMailboxContent(
  env: { DB: D1Database; MESSAGE_STORE: R2Bucket },
  orgId: string,
  mailbox?: string,
): Promise<{ messages: number; objects: number }> {
  const scope = "org_id = ?1 AND (?2 IS NULL OR mailbox = ?2)";
  const [, messages] = await env.DB.batch([
    env.DB.prepare(
      `DELETE FROM message_attachments WHERE org_id = ?1 AND message_id IN (SELECT id FROM imported_messages WHERE ${scope})`,
    ).bind(orgId, mailbox ?? null),
    env.DB.prepare(`DELETE FROM imported_messages WHERE ${scope}`).bind(orgId, mailbox ?? null),
  ]);
  const prefix = mailbox ? await mailboxPrefix(orgId, mailbox) : orgPrefix(orgId);
  const objects = await deletePrefix(env.MESSAGE_STORE, prefix);
  return { messages: messages?.meta.changes ?? 0, objects };
}
