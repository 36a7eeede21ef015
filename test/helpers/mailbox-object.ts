import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { D1AttachmentRow, D1MessageRow, IncomingMessage } from "@/db/mailbox-object";
import type { LivePage } from "@/db/mailbox-object/pages";
import type { AttachmentRecord } from "@/db/message-store/attachments";
import { type LiveSettings, type LiveState, newLiveState, RUN_LEASE_MS } from "@/features/mailboxes/live/state";
import type { MailboxSyncLock } from "@/features/mailboxes/sync/sync-lock";

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

/** An attachment row of `message` as the import and live writers hand it over: a stored PDF unless given. */
export function attachmentRecord(
  message: Pick<IncomingMessage, "graph_id">,
  overrides: Partial<AttachmentRecord> = {},
): AttachmentRecord {
  const id = overrides.id ?? `att-${crypto.randomUUID().slice(0, 8)}`;
  return {
    graph_id: message.graph_id,
    id,
    name: "Zählerfoto März.pdf",
    content_type: "application/pdf",
    size: 48_213,
    content_id: null,
    is_inline: 0,
    kind: "file",
    state: "stored",
    skipped_reason: null,
    r2_key: `attachments/${message.graph_id}/${id}`,
    sha256: "9f2c".padEnd(64, "0"),
    ...overrides,
  };
}

/** A message row of D1's `imported_messages` as the move hands it to a mailbox object (with its D1 id). */
export function d1MessageRow(m: IncomingMessage, extra: Partial<D1MessageRow> = {}): D1MessageRow {
  return {
    id: m.uid,
    graph_id: m.graph_id,
    folder: m.folder,
    subject: m.subject,
    from_address: m.from_address,
    from_name: m.from_name,
    to_recipients: m.to,
    cc_recipients: m.cc,
    received_at: m.received_at,
    sent_at: m.sent_at,
    sort_at: m.sort_at,
    conversation_id: m.conversation_id,
    body_preview: m.body_preview,
    body_content_type: m.body_content_type,
    body_truncated: 0,
    body_size: m.body_size,
    has_attachments: 0,
    execution_id: "exec-from-d1",
    imported_at: "2026-11-30T00:00:00.000Z",
    graph_modified_at: m.graph_modified_at,
    deleted_at: null,
    live_seen_round: null,
    ...extra,
  };
}

/** An attachment row of D1's `message_attachments` of message `messageId`, as the move hands it over. */
export function d1AttachmentRow(messageId: string, overrides: Partial<D1AttachmentRow> = {}): D1AttachmentRow {
  const { graph_id: _graphId, ...record } = attachmentRecord({ graph_id: messageId }, overrides);
  return { ...record, message_id: messageId, created_at: "2026-11-30T00:00:00.000Z", ...overrides };
}

/** A delta page of `folder` with nothing in it unless given. */
export function livePage(folder: LivePage["folder"], page: Partial<LivePage> = {}): LivePage {
  return { folder, rows: [], attachments: [], removed: [], ...page };
}

/** Settings of a mailbox that polls (no public URL: no subscriptions to set up while a test runs). */
const POLLING: LiveSettings = {
  publicBaseUrl: "",
  pollSeconds: 60,
  backstopSeconds: 3600,
  subscriptionLifetimeMinutes: 4230,
};

/**
 * Grants the mailbox object a live run, as its live store does when a run starts (state.ts's live state with
 * `run` set), without sending it to the queue: a test then writes that run's delta pages itself. A mailbox
 * without live state gets a new one (polling, the next poll an hour away, so the alarm starts nothing
 * meanwhile); a later grant replaces the run, so the previous run is no longer current. Answers the run id.
 */
export async function grantLiveRun(
  stub: DurableObjectStub<MailboxSyncLock>,
  owner: { orgId: string; mailbox: string },
): Promise<string> {
  return runInDurableObject(stub, async (_instance, state) => {
    const now = Date.now();
    const live =
      (await state.storage.get<LiveState>("live")) ??
      newLiveState(
        { ...owner, tenantId: "tenant-contoso", since: new Date(now - 24 * 3600_000).toISOString() },
        POLLING,
        now,
      );
    const runId = crypto.randomUUID();
    live.run = { id: runId, expiresAt: now + RUN_LEASE_MS };
    live.pending = false;
    live.nextPollAt = now + 3600_000;
    // The live store's key (src/features/mailboxes/live/live-store.ts).
    await state.storage.put("live", live);
    return runId;
  });
}

/**
 * Stops a connected mailbox's live sync (as a disconnect does), for tests that drive its import through a capturing
 * queue: its object would otherwise send delta runs to the real queue, whose consumer may run them in another test
 * file's isolate while this one runs, where workerd refuses their I/O ("Cannot perform I/O on behalf of a different
 * Durable Object"). Live sync during the move has its own test, on the real queue alone.
 */
export async function withoutLiveSync(orgId: string, mailbox: string): Promise<void> {
  const { servicesFor } = await import("@/entry/services");
  const { lockStub } = await import("@/features/mailboxes/sync/lock-stub");
  await lockStub(servicesFor(env as never), orgId, mailbox).disableLive();
}
