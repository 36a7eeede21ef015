import type { IncomingMessage } from "@/db/mailbox-object";

/**
 * A message row as the import and live writers hand a mailbox object (see src/db/mailbox-object): a German
 * inbox mail received at `sort_at`, with a fresh uid and Graph id unless given.
 */
export function incomingMessage(overrides: Partial<IncomingMessage> = {}): IncomingMessage {
  const sortAt = overrides.sort_at ?? "2026-12-01T10:00:00.000Z";
  return {
    uid: crypto.randomUUID(),
    graph_id: `graph-${crypto.randomUUID()}`,
    folder: "inbox",
    subject: "Zählerstand März",
    from_address: "kunde@example.de",
    from_name: "Erika Müller",
    to: JSON.stringify([{ address: "service@contoso.example" }]),
    cc: "[]",
    received_at: sortAt,
    sent_at: null,
    sort_at: sortAt,
    conversation_id: null,
    body_preview: "Guten Tag",
    body_content_type: "html",
    body_truncated: 0,
    graph_modified_at: sortAt,
    body_size: 120,
    has_attachments: 0,
    ...overrides,
  };
}
