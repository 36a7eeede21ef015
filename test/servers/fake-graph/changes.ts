import { type ChangeType, notifyChange } from "./notifications";
import { type FakeMailbox, type FakeMessage, type Folder, makeId, newMessage, now } from "./state";

/**
 * Changes to a mailbox's messages (through the admin API): each bumps the mailbox's change sequence, so
 * delta rounds see it, and notifies the subscriptions on the folder(s) concerned.
 */

function change(mailbox: FakeMailbox, m: FakeMessage, folder: Folder, type: ChangeType) {
  notifyChange(mailbox, folder, type, { immutableId: m.immutableId, restId: m.restId });
}

function leave(mailbox: FakeMailbox, m: FakeMessage, seq: number) {
  mailbox.tombstones[m.folder].set(m.immutableId, { immutableId: m.immutableId, restId: m.restId, seq });
}

export interface NewMessageSpec {
  folder?: unknown;
  subject?: unknown;
  body_html?: unknown;
  received?: unknown;
  from?: unknown;
  to?: unknown;
}

export function createMessage(mailbox: FakeMailbox, spec: NewMessageSpec): FakeMessage | string {
  const folder = spec.folder ?? "inbox";
  if (folder !== "inbox" && folder !== "sentitems") return "folder must be inbox or sentitems";
  const received = spec.received === undefined ? new Date(now()).toISOString() : String(spec.received);
  if (!Number.isFinite(Date.parse(received))) return "received must be an ISO date";
  const n = mailbox.nextN++;
  const m = newMessage(mailbox, n, folder, new Date(received).toISOString(), {
    subject: typeof spec.subject === "string" ? spec.subject : undefined,
    body: typeof spec.body_html === "string" ? spec.body_html : undefined,
    from: typeof spec.from === "string" ? spec.from : undefined,
    to: Array.isArray(spec.to) ? spec.to.map(String) : undefined,
    version: ++mailbox.seq,
  });
  mailbox.messages.push(m);
  mailbox.tombstones[folder].delete(m.immutableId);
  change(mailbox, m, folder, "created");
  return m;
}

export function updateMessage(mailbox: FakeMailbox, m: FakeMessage, spec: Record<string, unknown>) {
  if (typeof spec.subject === "string") m.subject = spec.subject;
  if (typeof spec.body_html === "string") m.body = spec.body_html;
  if (typeof spec.is_read === "boolean") m.isRead = spec.is_read;
  m.version = ++mailbox.seq;
  m.lastModifiedDateTime = new Date(now()).toISOString();
  change(mailbox, m, m.folder, "updated");
}

export function deleteMessage(mailbox: FakeMailbox, m: FakeMessage) {
  mailbox.messages = mailbox.messages.filter((x) => x !== m);
  leave(mailbox, m, ++mailbox.seq);
  change(mailbox, m, m.folder, "deleted");
}

/** Moves `m` to `folder`: removed from the old folder, created in the new one; same immutable id, new REST id. */
export function moveMessage(mailbox: FakeMailbox, m: FakeMessage, folder: Folder) {
  if (m.folder === folder) return;
  const from = m.folder;
  leave(mailbox, m, ++mailbox.seq);
  change(mailbox, m, from, "deleted");
  m.folder = folder;
  m.moves++;
  m.restId = makeId("rest", mailbox.email, m.n, m.moves);
  m.version = ++mailbox.seq;
  m.lastModifiedDateTime = new Date(now()).toISOString();
  mailbox.tombstones[folder].delete(m.immutableId);
  change(mailbox, m, folder, "created");
}
