/**
 * SQL shared by the import and live writers (sync/import-writer.ts, live/writer.ts) for `imported_messages`
 * rows written from `json_each` (`excluded` is the incoming row).
 */

/**
 * The SET list of an upsert that replaces a stored row's message fields with the incoming copy and makes it
 * listed again (a tombstone revived). The row keeps its id, org, mailbox, inbox and bucket.
 */
export const REFRESH_MESSAGE_ROW = `folder = excluded.folder, subject = excluded.subject,
  from_address = excluded.from_address, from_name = excluded.from_name, to_recipients = excluded.to_recipients,
  cc_recipients = excluded.cc_recipients, received_at = excluded.received_at, sent_at = excluded.sent_at,
  sort_at = excluded.sort_at, conversation_id = excluded.conversation_id, body_preview = excluded.body_preview,
  body_content_type = excluded.body_content_type, body = excluded.body, body_truncated = excluded.body_truncated,
  body_sanitized = excluded.body_sanitized, body_sanitized_truncated = excluded.body_sanitized_truncated,
  body_sanitizer_version = excluded.body_sanitizer_version, graph_modified_at = excluded.graph_modified_at,
  body_store = excluded.body_store, body_size = excluded.body_size, has_attachments = excluded.has_attachments,
  deleted_at = NULL`;
