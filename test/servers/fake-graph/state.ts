import { createHash } from "node:crypto";
import { type FakeAttachment, newAttachment } from "./attachments";

/** The fake Graph's state: mailboxes, their messages and change log, tenants, subscriptions, the clock. */

export type Folder = "inbox" | "sentitems";
export const FOLDERS: readonly Folder[] = ["inbox", "sentitems"];

export interface FakeMessage {
  n: number;
  restId: string;
  immutableId: string;
  folder: Folder;
  subject: string;
  from: string;
  to: string[];
  cc: string[];
  receivedDateTime: string;
  sentDateTime: string;
  lastModifiedDateTime: string;
  conversationId: string;
  body: string;
  isRead: boolean;
  /** The mailbox's change sequence number of the message's last change (create, update, move in). */
  version: number;
  moves: number;
  /** Its attachments (./attachments.ts); absent: none. */
  attachments?: FakeAttachment[];
}

/** A message that left a folder (deleted, or moved to the other folder) at change `seq`. */
export interface Tombstone {
  immutableId: string;
  restId: string;
  seq: number;
}

export interface Delivery {
  outbox_id: string;
  subscription_id: string;
  kind: "change" | "lifecycle";
  change_type?: string;
  lifecycle_event?: string;
  message_id?: string;
  queued_at: string;
  /** The status the Worker answered, or null while pending / after a timeout. */
  status: number | null;
  error?: "timeout" | "relay_error";
  /** The answer came after Graph's deadline (Graph had given up). */
  late?: boolean;
}

export interface FakeMailbox {
  email: string;
  /** The user's object id (a GUID), as Graph puts it into notification resources. */
  userId: string;
  tenant: string;
  /** `app_only_denied`: an Exchange application access policy leaves the mailbox out (app-only tokens 403). */
  access: "ok" | "forbidden" | "rest_disabled" | "app_only_denied";
  messages: FakeMessage[];
  /** Per folder: messages that left it, by immutable id (the latest departure). */
  tombstones: Record<Folder, Map<string, Tombstone>>;
  /** Change sequence: bumped by every create/update/delete/move. */
  seq: number;
  nextN: number;
  /** Delta tokens issued before the current epoch answer 410 with `deltaFailCode`. */
  deltaEpoch: number;
  deltaFailCode: string;
  /** The next delta round (from a deltaLink) of each folder re-sends this many earlier changes, out of order. */
  replay: Record<Folder, number>;
  failing: Set<string>;
  /** `kinds`: only requests of these kinds (page, delta, message, ...) are throttled; absent: all. */
  throttle: { count: number; status: number; retryAfter: number; kinds?: string[] };
  delayMs: number;
  /**
   * Answers of these kinds are worked out when asked (from the mailbox as it is then) but sent only once
   * the hold is lifted: a client that read a page and has not acted on it yet, while the mailbox changes.
   */
  hold: { kinds: string[]; release: Promise<void>; lift: () => void } | null;
  maxPageSize: number | null;
  nextLinkHost: string | null;
  notifications: Delivery[];
  stats: {
    requests: Record<string, number>;
    throttled: number;
    withoutImmutableId: number;
    inFlight: number;
    maxInFlight: number;
    /** Answers computed under a hold and not yet sent. */
    held: number;
  };
}

export interface FakeTenant {
  /**
   * App-only access to the tenant's mailboxes: true allows any app-only token, false refuses every one (a
   * revoked grant), null (default) decides by the token's `roles` (see ./access.ts).
   */
  appOnlyConsent: boolean | null;
  /** Graph raises any expirationDateTime under this many minutes ahead to it (Microsoft: 45). */
  minExpirationMinutes: number;
}

export interface FakeSubscription {
  id: string;
  tenant: string;
  /** The mailbox (email) the resource names, if any. */
  mailbox: string | null;
  /** The folder the resource names; null for `users/{id}/messages` (every folder). */
  folder: Folder | null;
  resource: string;
  changeType: string;
  notificationUrl: string | null;
  lifecycleNotificationUrl: string | null;
  clientState: string | null;
  expirationDateTime: string;
  /** Created with `Prefer: IdType="ImmutableId"`: notifications carry immutable ids. */
  immutableIds: boolean;
  appOnly: boolean;
  renewals: number;
  reauthorizations: number;
  /** After a reauthorizationRequired event with `pause`: changes are not notified until renewed. */
  paused: boolean;
  createdBy: "graph" | "admin";
}

export const mailboxes = new Map<string, FakeMailbox>();
export const tenants = new Map<string, FakeTenant>();
export const subscriptions = new Map<string, FakeSubscription>();

/** Maximum lifetime of an Outlook message subscription (Microsoft Graph: 4,230 minutes). */
export const MAX_SUBSCRIPTION_MINUTES = 4230;
/** Delta: `$filter=receivedDateTime ge ...` returns at most this many messages. */
export const DELTA_FILTER_CAP = 5000;

let clockOffsetMs = 0;
/** The fake's "now" (real time plus the offset set through `POST /__clock`). */
export const now = () => Date.now() + clockOffsetMs;
export function setClockOffset(ms: number) {
  clockOffsetMs = ms;
}
export const clockOffset = () => clockOffsetMs;

export function tenantOf(id: string): FakeTenant {
  const key = id.toLowerCase();
  let tenant = tenants.get(key);
  if (!tenant) {
    tenant = { appOnlyConsent: null, minExpirationMinutes: 45 };
    tenants.set(key, tenant);
  }
  return tenant;
}

/** A live subscription: Graph deletes subscriptions once they expire. */
export function liveSubscription(id: string): FakeSubscription | undefined {
  const sub = subscriptions.get(id);
  if (sub && Date.parse(sub.expirationDateTime) <= now()) {
    subscriptions.delete(id);
    return undefined;
  }
  return sub;
}

export function liveSubscriptions(): FakeSubscription[] {
  return [...subscriptions.keys()].map((id) => liveSubscription(id)).filter((s): s is FakeSubscription => !!s);
}

export function findMailbox(idOrEmail: string): FakeMailbox | undefined {
  const key = idOrEmail.toLowerCase();
  const byEmail = mailboxes.get(key);
  if (byEmail) return byEmail;
  for (const m of mailboxes.values()) if (m.userId === key) return m;
  return undefined;
}

export function findMessage(mailbox: FakeMailbox, id: string): FakeMessage | undefined {
  return mailbox.messages.find((x) => x.immutableId === id || x.restId === id);
}

/** `length` characters of base64url derived from `seed` (deterministic). */
function filler(seed: string, length: number) {
  let out = "";
  for (let round = 0; out.length < length; round++) {
    out += createHash("sha256").update(`${round}/${seed}`).digest("base64url");
  }
  return out.slice(0, length);
}

/**
 * As long as Graph's: a REST message id is 152 characters of base64url; an immutable one (what the Worker
 * asks for, `Prefer: IdType="ImmutableId"`) 68, e.g. `AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A...AAA`.
 */
const REST_ID_LENGTH = 152;
const IMMUTABLE_ID_LENGTH = 68;

/** An id as long as Graph's: `prefix`, filler from `seed`, and a `suffix` that keeps it unique. */
function graphLikeId(prefix: string, seed: string, suffix: string, length: number) {
  return `${prefix}${filler(seed, Math.max(0, length - prefix.length - suffix.length))}${suffix}`;
}

export function makeId(kind: "rest" | "immutable", email: string, n: number, moves = 0) {
  const seed = `${email}/${n}`;
  if (kind === "immutable") return graphLikeId("AAkALgImm-", seed, `-${n}=`, IMMUTABLE_ID_LENGTH);
  // A REST id changes when the message moves to another folder (immutable ids do not).
  return graphLikeId("AAMkRest-", seed, moves ? `-${n}-m${moves}=` : `-${n}=`, REST_ID_LENGTH);
}

/** Graph's conversation ids are about 76-80 characters; seven conversations per mailbox here. */
export const conversationIdOf = (email: string, n: number) =>
  graphLikeId("AAQkConv-", `conversation/${email}/${n % 7}`, `-${n % 7}=`, 76);

export function userIdOf(email: string) {
  const h = createHash("sha256").update(`user/${email}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const DAY = 24 * 60 * 60 * 1000;

export interface GenerateSpec {
  inbox?: number;
  sentitems?: number;
  old?: number;
  body_chars?: number;
  body_html?: string;
  /** This percentage of the generated messages (n % 100 < percent) gets one file attachment of `attachment_bytes`. */
  attachment_percent?: number;
  attachment_bytes?: number;
}

export function newMessage(
  mailbox: Pick<FakeMailbox, "email">,
  n: number,
  folder: Folder,
  at: string,
  options: { subject?: string; body?: string; from?: string; to?: string[]; version?: number } = {},
): FakeMessage {
  const email = mailbox.email;
  return {
    n,
    restId: makeId("rest", email, n),
    immutableId: makeId("immutable", email, n),
    folder,
    subject: options.subject ?? `${folder} message ${n}`,
    from: options.from ?? (folder === "inbox" ? `sender${n}@example.com` : email),
    to: options.to ?? (folder === "inbox" ? [email] : [`customer${n}@example.com`]),
    cc: n % 3 === 0 ? [`cc${n}@example.com`] : [],
    receivedDateTime: at,
    sentDateTime: new Date(Date.parse(at) - 1000).toISOString(),
    lastModifiedDateTime: at,
    conversationId: conversationIdOf(mailbox.email, n),
    body: options.body ?? `<p>Body of message ${n}</p>`,
    isRead: false,
    version: options.version ?? 0,
    moves: 0,
  };
}

const generatedAttachment = (m: FakeMessage, size: number) =>
  newAttachment(m, { name: `invoice-${m.n}.pdf`, content_type: "application/pdf", size });

/** The seeded messages: `inbox`/`sentitems` within the last 6 days, `old` more per folder older than 60 days. */
export function generate(email: string, spec: GenerateSpec) {
  const messages: FakeMessage[] = [];
  const t = Date.now();
  let n = 0;
  const add = (folder: Folder, count: number, oldest: number, newest: number) => {
    for (let i = 0; i < count; i++) {
      n++;
      const at = new Date(newest - ((newest - oldest) * (i + 0.5)) / Math.max(count, 1)).toISOString();
      const body = spec.body_html ?? `<p>Body of message ${n}</p>${"x".repeat(spec.body_chars ?? 0)}`;
      const m = newMessage({ email }, n, folder, at, { body });
      if (spec.attachment_percent && n % 100 < spec.attachment_percent) {
        m.attachments = [generatedAttachment(m, spec.attachment_bytes ?? 200 * 1024)];
      }
      messages.push(m);
    }
  };
  for (const folder of FOLDERS) {
    add(folder, spec[folder] ?? 0, t - 6 * DAY, t - 60 * 1000);
    add(folder, spec.old ?? 0, t - 90 * DAY, t - 61 * DAY);
  }
  return messages;
}
