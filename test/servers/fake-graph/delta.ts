import type { Caller } from "./access";
import { type Ctx, graphError, json } from "./http";
import { pageSize, render, selectOf } from "./messages";
import { DELTA_FILTER_CAP, type FakeMailbox, type Folder } from "./state";

/**
 * `GET /users/{id}/mailFolders/{inbox|sentitems}/messages/delta`, as Microsoft documents message: delta:
 *
 * - The initial request may carry `$select` and `$filter=receivedDateTime ge|gt <ISO>` (the only filter;
 *   it returns at most 5,000 messages, the newest); anything else in `$filter` is 400. Graph encodes
 *   those options into opaque state tokens: `@odata.nextLink` (`$skiptoken`) pages until a page carries
 *   `@odata.deltaLink` (`$deltatoken`), both on the same base URL (query options are not repeated).
 * - A deltaLink answers the changes since it was issued: messages created, updated or moved into the
 *   folder in full (current state, `$select`ed fields), messages deleted or moved out as
 *   `{"id", "@removed": {"reason": "deleted"}}`; a message moved between folders keeps its immutable id
 *   (its REST id changes). A deltaLink may be used again (the same changes again).
 * - Injected trouble (admin API): `replay` makes the next round re-send already delivered changes and
 *   reverses the round's order; `expire_tokens` / `fail` make every token issued so far answer
 *   410 Gone with `syncStateNotFound` (or the given code, e.g. `resyncRequired`).
 */

interface DeltaOptions {
  email: string;
  folder: Folder;
  epoch: number;
  select: string[] | null;
  /** `receivedDateTime ge|gt` bound. */
  filter: { op: "ge" | "gt"; at: number } | null;
}

/** A round in progress (nextLinks): the ids it lists, where the next page starts, the seq it ends at. */
interface Round extends DeltaOptions {
  ids: string[];
  offset: number;
  until: number;
}

/** A completed round (deltaLink): changes after `since`. */
interface Checkpoint extends DeltaOptions {
  since: number;
}

const rounds = new Map<string, Round>();
const checkpoints = new Map<string, Checkpoint>();

const opaque = () => crypto.randomUUID().replace(/-/g, "") + crypto.randomUUID().replace(/-/g, "").slice(0, 12);

const FAIL_MESSAGES: Record<string, string> = {
  syncStateNotFound:
    "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
  resyncRequired: "Resync required. The delta token is no longer valid; start a full synchronization again.",
};

function gone(ctx: Ctx, mailbox: FakeMailbox) {
  const code = mailbox.deltaFailCode;
  return graphError(ctx.res, 410, code, FAIL_MESSAGES[code] ?? "The delta token is no longer valid.");
}

function parseDeltaFilter(value: string | null): DeltaOptions["filter"] | "invalid" {
  if (!value) return null;
  const match = /^receivedDateTime\s+(ge|gt)\s+(\S+)$/i.exec(value.trim());
  const at = Date.parse(match?.[2] ?? "");
  if (!match || !Number.isFinite(at)) return "invalid";
  return { op: (match[1] ?? "ge").toLowerCase() as "ge" | "gt", at };
}

function inWindow(options: DeltaOptions, receivedDateTime: string) {
  if (!options.filter) return true;
  const at = Date.parse(receivedDateTime);
  return options.filter.op === "ge" ? at >= options.filter.at : at > options.filter.at;
}

/** The ids of the initial round: the folder's messages in the window, newest first (at most 5,000 with a filter). */
function initialIds(mailbox: FakeMailbox, options: DeltaOptions) {
  const listed = mailbox.messages
    .filter((m) => m.folder === options.folder && inWindow(options, m.receivedDateTime))
    .sort((a, b) => Date.parse(b.receivedDateTime) - Date.parse(a.receivedDateTime) || b.n - a.n);
  return (options.filter ? listed.slice(0, DELTA_FILTER_CAP) : listed).map((m) => m.immutableId);
}

/** The ids that changed in the folder after `since`, in change order (plus replayed ones, when injected). */
function changedIds(mailbox: FakeMailbox, options: DeltaOptions, since: number) {
  const entries: { id: string; seq: number }[] = [];
  const present = new Set<string>();
  for (const m of mailbox.messages) {
    if (m.folder !== options.folder) continue;
    present.add(m.immutableId);
    if (inWindow(options, m.receivedDateTime)) entries.push({ id: m.immutableId, seq: m.version });
  }
  for (const t of mailbox.tombstones[options.folder].values()) {
    if (!present.has(t.immutableId)) entries.push({ id: t.immutableId, seq: t.seq });
  }
  entries.sort((a, b) => a.seq - b.seq);
  const fresh = entries.filter((e) => e.seq > since);
  const replay = mailbox.replay[options.folder];
  if (replay <= 0) return fresh.map((e) => e.id);
  mailbox.replay[options.folder] = 0;
  const again = entries.filter((e) => e.seq <= since).slice(-replay);
  // Replayed changes arrive again, and the round comes out of order.
  return [...again, ...fresh].map((e) => e.id).reverse();
}

function renderId(mailbox: FakeMailbox, options: DeltaOptions, caller: Caller, id: string) {
  const m = mailbox.messages.find((x) => x.immutableId === id && x.folder === options.folder);
  if (m) return render(m, caller.immutable, options.select, mailbox.failing.has(m.immutableId));
  const t = mailbox.tombstones[options.folder].get(id);
  return { id: caller.immutable ? id : (t?.restId ?? id), "@removed": { reason: "deleted" } };
}

function page(ctx: Ctx, caller: Caller, mailbox: FakeMailbox, round: Round, base: string) {
  const size = pageSize(caller, mailbox);
  const ids = round.ids.slice(round.offset, round.offset + size);
  const value = ids.map((id) => renderId(mailbox, round, caller, id));
  const body: Record<string, unknown> = {
    "@odata.context": `${base.split("/users/")[0]}/$metadata#Collection(message)`,
    value,
  };
  const link = new URL(base);
  if (mailbox.nextLinkHost) link.host = mailbox.nextLinkHost;
  if (round.offset + size < round.ids.length) {
    const token = opaque();
    rounds.set(token, { ...round, offset: round.offset + size });
    link.searchParams.set("$skiptoken", token);
    body["@odata.nextLink"] = link.toString();
  } else {
    const token = opaque();
    const { ids: _ids, offset: _offset, until, ...options } = round;
    checkpoints.set(token, { ...options, since: until });
    link.searchParams.set("$deltatoken", token);
    body["@odata.deltaLink"] = link.toString();
  }
  return json(ctx.res, 200, body);
}

export function delta(ctx: Ctx, caller: Caller, mailbox: FakeMailbox, folder: Folder) {
  const base = `${ctx.origin}${ctx.url.pathname}`;
  const skip = ctx.url.searchParams.get("$skiptoken");
  const deltaToken = ctx.url.searchParams.get("$deltatoken");
  const stateOk = (s: DeltaOptions | undefined): s is DeltaOptions =>
    !!s && s.email === mailbox.email && s.folder === folder && s.epoch === mailbox.deltaEpoch;
  if (skip !== null) {
    const round = rounds.get(skip);
    if (!stateOk(round)) return gone(ctx, mailbox);
    return page(ctx, caller, mailbox, round as Round, base);
  }
  if (deltaToken !== null) {
    const checkpoint = checkpoints.get(deltaToken);
    if (!stateOk(checkpoint)) return gone(ctx, mailbox);
    const c = checkpoint as Checkpoint;
    const round: Round = { ...c, ids: changedIds(mailbox, c, c.since), offset: 0, until: mailbox.seq };
    return page(ctx, caller, mailbox, round, base);
  }
  const filter = parseDeltaFilter(ctx.url.searchParams.get("$filter"));
  if (filter === "invalid") {
    return graphError(
      ctx.res,
      400,
      "ErrorInvalidUrlQueryFilter",
      "The only supported filter is receivedDateTime ge|gt.",
    );
  }
  const options: DeltaOptions = {
    email: mailbox.email,
    folder,
    epoch: mailbox.deltaEpoch,
    select: selectOf(ctx.url),
    filter,
  };
  const round: Round = { ...options, ids: initialIds(mailbox, options), offset: 0, until: mailbox.seq };
  return page(ctx, caller, mailbox, round, base);
}
