/**
 * SQL shared by the import and live writers (sync/import-writer.ts, live/writer.ts) for `imported_messages`
 * rows written from `json_each` (`excluded` is the incoming row).
 */

/**
 * The SET list of an upsert that replaces a stored row's message fields with the incoming copy and makes it
 * listed again (a tombstone revived). The row keeps its id, org, mailbox, inbox and bucket.
 */
const REFRESH_MESSAGE_ROW = `folder = excluded.folder, subject = excluded.subject,
  from_address = excluded.from_address, from_name = excluded.from_name, to_recipients = excluded.to_recipients,
  cc_recipients = excluded.cc_recipients, received_at = excluded.received_at, sent_at = excluded.sent_at,
  sort_at = excluded.sort_at, conversation_id = excluded.conversation_id, body_preview = excluded.body_preview,
  body_content_type = excluded.body_content_type, body = excluded.body, body_truncated = excluded.body_truncated,
  body_sanitized = excluded.body_sanitized, body_sanitized_truncated = excluded.body_sanitized_truncated,
  body_sanitizer_version = excluded.body_sanitizer_version, graph_modified_at = excluded.graph_modified_at,
  body_store = excluded.body_store, body_size = excluded.body_size, has_attachments = excluded.has_attachments,
  deleted_at = NULL`;

/**
 * The one INSERT of message rows from `json_each` (the import's pages and live sync's delta pages): each
 * row gets the mailbox mapping's shared inbox and that inbox's bucket; a row already stored is refreshed
 * with the incoming copy only `refreshWhen`. Parameters ?1 org and ?2 mailbox; the others are the caller's
 * (`params`: placeholders of the execution id, the import time and the rows' JSON).
 */
export function insertMessageRows(
  params: { execution: string; importedAt: string; rows: string },
  where: string,
  refreshWhen: string,
): string {
  return `INSERT INTO imported_messages (id, org_id, mailbox, graph_id, folder, subject, from_address,
  from_name, to_recipients, cc_recipients, received_at, sent_at, sort_at, conversation_id, body_preview,
  body_content_type, body, body_truncated, body_sanitized, body_sanitized_truncated, body_sanitizer_version,
  shared_inbox_id, bucket_id, execution_id, imported_at, graph_modified_at, body_store, body_size, has_attachments)
SELECT j.value ->> '$.uid', ?1, ?2, j.value ->> '$.graph_id', j.value ->> '$.folder', j.value ->> '$.subject',
  j.value ->> '$.from_address', j.value ->> '$.from_name', j.value ->> '$.to', j.value ->> '$.cc',
  j.value ->> '$.received_at', j.value ->> '$.sent_at', j.value ->> '$.sort_at', j.value ->> '$.conversation_id',
  j.value ->> '$.body_preview', j.value ->> '$.body_content_type', j.value ->> '$.body', j.value ->> '$.body_truncated',
  j.value ->> '$.body_sanitized', j.value ->> '$.body_sanitized_truncated', j.value ->> '$.body_sanitizer_version',
  m.shared_inbox_id,
  COALESCE((SELECT b.id FROM inbox_buckets b WHERE b.org_id = ?1 AND b.inbox_id = m.shared_inbox_id), 'default'),
  ${params.execution}, ${params.importedAt}, j.value ->> '$.graph_modified_at', j.value ->> '$.body_store',
  j.value ->> '$.body_size', j.value ->> '$.has_attachments'
FROM json_each(${params.rows}) AS j
JOIN outlook_mailboxes m ON m.org_id = ?1 AND m.email = ?2
WHERE ${where}
ON CONFLICT (org_id, mailbox, graph_id) DO UPDATE SET
  ${REFRESH_MESSAGE_ROW}
WHERE ${refreshWhen}`;
}
