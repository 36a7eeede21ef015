import { env } from "cloudflare:workers";

/**
 * Imported messages as D1 stores them, for the tests that check stored state: how many a mailbox has, and
 * the row of a Graph message (what it is, whether it is deleted, where its body is).
 */

export interface MessageRow {
  id: string;
  mailbox: string;
  graph_id: string;
  folder: "inbox" | "sentitems";
  subject: string | null;
  deleted_at: string | null;
  /** The body kept in D1 (rows from before the message store); null once it is in the store. */
  body: string | null;
  body_sanitized: string | null;
  body_store: string | null;
  body_size: number | null;
  has_attachments: number;
  body_truncated: number;
}

const COLUMNS =
  "id, mailbox, graph_id, folder, subject, deleted_at, body, body_sanitized, body_store, body_size, has_attachments, body_truncated";

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

/** The org's imported messages (deleted ones too), by id. */
export async function messageRows(org: string, filter: MessageFilter = {}): Promise<MessageRow[]> {
  const { sql, values } = where(org, filter);
  const { results } = await env.DB.prepare(`SELECT ${COLUMNS} FROM imported_messages WHERE ${sql} ORDER BY id`)
    .bind(...values)
    .all<MessageRow>();
  return results;
}

/** The row of a Graph message; null when it was never imported. */
export async function messageRow(org: string, graphId: string): Promise<MessageRow | null> {
  const [row] = await messageRows(org, { graphId });
  return row ?? null;
}

/** How many messages (deleted ones too) the org has imported from `mailbox`. */
export async function countMessages(org: string, mailbox: string): Promise<number> {
  const { sql, values } = where(org, { mailbox });
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM imported_messages WHERE ${sql}`)
    .bind(...values)
    .first<{ n: number }>();
  return row?.n ?? 0;
}
