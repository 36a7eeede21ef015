import { env } from "cloudflare:workers";
import { it } from "vitest";
import { getDb } from "@/db/client";
import { mailboxPrefix } from "@/db/message-store";
import { servicesFor } from "@/entry/services";
import { moveMailboxMail } from "@/features/mailboxes/move";
import { type InboxMessage, listInboxMessages } from "@/features/shared-inbox-messages/inbox-messages";
import type { ListingKey } from "@/features/shared-inbox-messages/merge-pages";
import type { Services } from "@/lib/services";
import { uniqueOrg } from "../test/helpers/api";
import { inMailboxObject } from "../test/helpers/rows";
import { countingD1 } from "./counting-d1";
import { b64, person, pick, preview, type Rand, random, subject } from "./realistic-mail";

/**
 * `npm run bench:mailbox-move`: the move of mailboxes' mail from D1 (where every mailbox kept it before the
 * mailbox objects) into their Durable Objects, `moveMailboxMail` (src/features/mailboxes/move.ts) as a `move`
 * task runs it, at the configured chunk size (MAILBOX_MOVE_CHUNK_ROWS), with chunks enough to finish in one call.
 *
 * Seeding: D1 gets the mail of M mailboxes as it was written before the objects, straight into
 * `imported_messages` (bodies in R2: `body_store` 'r2', `body` NULL; 68-character Graph ids, German subjects,
 * 1-3 recipients, ~200-character previews, times spread over a month, inbox `default`) with one
 * `message_attachments` row for ~30% of them, in INSERT ... SELECT FROM json_each batches. Each mailbox is
 * connected (`outlook_mailboxes`) and has no `mailbox_stores` row (its mail is in D1), checked before it moves.
 *
 * 1. One mailbox after another: wall time per mailbox, rows/s overall, per-chunk ms (p50/p95, split into D1
 *    read, the object's adopt, D1 delete + lease renewal, found by watching the move's D1 statements and the
 *    object's RPC), D1 statements per 1,000 rows, then D1 rows left (must be 0), the object's rows (= seeded)
 *    and the inbox listing (ids of the first page and of a page half way down, before and after) per inbox of
 *    up to 5 mailboxes.
 * 2. The same with CONCURRENT mailboxes of one 5-mailbox inbox moving at once (the rest stay in D1, so the
 *    listing after merges objects and D1), with a timeline: when each move was called, began its first chunk
 *    and returned, and its slowest step before the first chunk. Locally the test, D1 and every object share one
 *    workerd process, and a chain of awaited local I/O runs before anything else waiting (a 100 ms timer set
 *    beside a 1 s chain of D1, R2 or object calls wakes when the chain ends), so moves started together run
 *    nearly back to back here: the ratio to one at a time says what this runtime allows, not what production
 *    (separate objects, remote D1) does.
 * Prints a table; throws when rows are lost or left behind or the listing changes, asserts nothing about time.
 *
 * Size: 10 mailboxes x 10,000 rows, 3 at once; `VITE_BENCH_QUICK=1` for 2 x 2,000, 2 at once;
 * `VITE_BENCH_MAILBOXES`, `VITE_BENCH_ROWS`, `VITE_BENCH_CONCURRENT` for any other. As in
 * bench/mailbox-object.bench.ts, run with `VITEST_FS_MODULE_CACHE=0` when changing the size.
 */
const vars = (import.meta as ImportMeta & { env?: Record<string, string | undefined> }).env ?? {};
const QUICK = vars.VITE_BENCH_QUICK === "1";
const MAILBOXES = Number(vars.VITE_BENCH_MAILBOXES ?? (QUICK ? 2 : 10));
const ROWS = Number(vars.VITE_BENCH_ROWS ?? (QUICK ? 2_000 : 10_000));
const CONCURRENT = Number(vars.VITE_BENCH_CONCURRENT ?? (QUICK ? 2 : 3));
const INBOX_MAILBOXES = 5;
const ATTACHMENT_SHARE = 0.3;
const MONTH_MS = 30 * 24 * 3600 * 1000;
/** Rows per INSERT statement (one JSON argument) and statements per D1 batch while seeding. */
const SEED_ROWS = 1_000;
const SEED_STATEMENTS = 5;
const LIST_PAGE = 50;
const LIST_RUNS = 10;
const INBOX = "default";

const base = servicesFor(env);
const CHUNK_ROWS = base.config.MAILBOX_MOVE_CHUNK_ROWS;

// ---------------------------------------------------------------------------------------------------
// Seeding D1 as the mail of mailboxes from before the objects

interface Seeded {
  orgId: string;
  mailbox: string;
  rows: number;
  attachments: number;
  /** The R2 prefix of the mailbox's objects: its attachment rows' keys start with it. */
  prefix: string;
}

const MESSAGE_COLUMNS = [
  "id",
  "graph_id",
  "folder",
  "subject",
  "from_address",
  "from_name",
  "to_recipients",
  "cc_recipients",
  "received_at",
  "sent_at",
  "sort_at",
  "conversation_id",
  "body_preview",
  "body_content_type",
  "body_size",
  "has_attachments",
  "execution_id",
  "imported_at",
  "graph_modified_at",
] as const;
const INSERT_MESSAGES = `INSERT INTO imported_messages (org_id, mailbox, shared_inbox_id, bucket_id, body, body_truncated,
  body_store, ${MESSAGE_COLUMNS.join(", ")})
  SELECT ?1, ?2, '${INBOX}', 'default', NULL, 0, 'r2', ${MESSAGE_COLUMNS.map((_, i) => `json_extract(value, '$[${i}]')`).join(", ")}
  FROM json_each(?3)`;
const ATTACHMENT_COLUMNS = [
  "message_id",
  "id",
  "name",
  "content_type",
  "size",
  "r2_key",
  "sha256",
  "created_at",
] as const;
const INSERT_ATTACHMENTS = `INSERT INTO message_attachments (org_id, is_inline, kind, state, ${ATTACHMENT_COLUMNS.join(", ")})
  SELECT ?1, 0, 'file', 'stored', ${ATTACHMENT_COLUMNS.map((_, i) => `json_extract(value, '$[${i}]')`).join(", ")}
  FROM json_each(?2)`;

const ATTACHMENT_NAMES: [string, string][] = [
  ["Zählerstand_Foto.jpg", "image/jpeg"],
  ["Rechnung_2024-12.pdf", "application/pdf"],
  ["Kündigungsbestätigung.pdf", "application/pdf"],
  ["Lastschriftmandat_unterschrieben.pdf", "application/pdf"],
  ["Grundriss Wohnung.png", "image/png"],
];
const hex = (rand: Rand, length: number) =>
  Array.from({ length }, () => "0123456789abcdef"[Math.floor(rand() * 16)]).join("");

/** Writes `rows` messages of the mailbox into D1 as an import before the objects left them. */
async function seedMailbox(orgId: string, mailbox: string, rows: number, seed: number): Promise<Seeded> {
  const rand = random(seed);
  const prefix = await mailboxPrefix(orgId, mailbox);
  const idPrefix = `AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A${b64(rand, 8)}`;
  const conversations = Array.from({ length: 200 }, () => `AAQkA${b64(rand, 71)}`);
  const executionId = crypto.randomUUID();
  const self = { address: mailbox, name: "Kundenservice Stadtwerke Süd" };
  const newest = Date.now() - Math.floor(rand() * 3600_000);
  const spacing = MONTH_MS / rows;
  const messages: unknown[][] = [];
  const attachments: unknown[][] = [];
  for (let n = 0; n < rows; n++) {
    const folder = rand() < 0.7 ? "inbox" : "sentitems";
    const at = new Date(newest - n * spacing - Math.floor(rand() * spacing));
    const received = at.toISOString();
    const sent = new Date(at.getTime() - 2_000 - Math.floor(rand() * 60_000)).toISOString();
    const sender = folder === "inbox" ? person(rand) : self;
    const to = Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, r) =>
      folder === "inbox" && r === 0 ? self : person(rand),
    );
    const id = crypto.randomUUID(); // ids issued before the objects: random version 4 UUIDs
    const withAttachment = rand() < ATTACHMENT_SHARE;
    const imported = new Date(at.getTime() + 30_000 + Math.floor(rand() * 600_000)).toISOString();
    messages.push([
      id,
      `${idPrefix}${b64(rand, 68 - idPrefix.length)}`,
      folder,
      subject(rand),
      sender.address,
      sender.name,
      JSON.stringify(to),
      JSON.stringify(rand() < 0.2 ? [person(rand)] : []),
      folder === "inbox" ? received : sent,
      sent,
      folder === "inbox" ? received : sent,
      pick(rand, conversations),
      preview(rand, 200),
      "html",
      2_000 + Math.floor(rand() * 60_000),
      withAttachment ? 1 : 0,
      executionId,
      imported,
      new Date(at.getTime() + Math.floor(rand() * 3_600_000)).toISOString(),
    ]);
    if (withAttachment) {
      const [name, type] = pick(rand, ATTACHMENT_NAMES);
      const attachmentId = hex(rand, 32);
      attachments.push([
        id,
        attachmentId,
        name,
        type,
        20_000 + Math.floor(rand() * 400_000),
        `${prefix}message/${hex(rand, 32)}/attachments/${attachmentId}`,
        hex(rand, 64),
        imported,
      ]);
    }
  }
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < messages.length; i += SEED_ROWS) {
    statements.push(
      env.DB.prepare(INSERT_MESSAGES).bind(orgId, mailbox, JSON.stringify(messages.slice(i, i + SEED_ROWS))),
    );
  }
  for (let i = 0; i < attachments.length; i += SEED_ROWS) {
    statements.push(
      env.DB.prepare(INSERT_ATTACHMENTS).bind(orgId, JSON.stringify(attachments.slice(i, i + SEED_ROWS))),
    );
  }
  for (let i = 0; i < statements.length; i += SEED_STATEMENTS)
    await env.DB.batch(statements.slice(i, i + SEED_STATEMENTS));
  await env.DB.prepare(
    `INSERT INTO outlook_mailboxes (org_id, email, tenant_id, provider, shared_inbox_id, connected_at)
     VALUES (?1, ?2, ?3, 'outlook', ?4, ?5)`,
  )
    .bind(orgId, mailbox, crypto.randomUUID(), INBOX, new Date(newest - MONTH_MS).toISOString())
    .run();
  return { orgId, mailbox, rows, attachments: attachments.length, prefix };
}

// ---------------------------------------------------------------------------------------------------
// One move, watched: its D1 statements (counted; the chunk's first read marks its start) and the object's RPC

interface Trace {
  ms: number;
  moved: number;
  state: string;
  statements: number;
  /** Per chunk: [D1 read, object adopt, D1 delete + renew] ms. */
  chunks: [number, number, number][];
  /** Acquire, fence, items, directory row `moving` (before the first chunk), and the close after the last. */
  startMs: number;
  endMs: number;
  /** performance.now() of the call, its first chunk's start and its return (a timeline of moves at once). */
  at: { called: number; firstChunk: number; done: number };
  /** What the move did before its first chunk: [ms since the call, D1 statement or RPC] (the start's steps). */
  startSteps: [number, string][];
}

/** The step of the move's start that took longest (until the next step began), e.g. `object acquire 1231 ms`. */
function longestStep(trace: Trace): string {
  const first = trace.at.firstChunk - trace.at.called;
  let longest: [number, string] = [0, "none"];
  for (const [i, [t, step]] of trace.startSteps.entries()) {
    const took = (trace.startSteps[i + 1]?.[0] ?? first) - t;
    if (took > longest[0]) longest = [took, step];
  }
  return `${longest[1]} ${longest[0].toFixed(0)} ms`;
}

/** Marks the move's chunk read (rowsToMove, src/db/message-store/imported-messages.store.ts). */
const CHUNK_READ = /graph_id > \?3 ORDER BY graph_id LIMIT/;

function watchedServices() {
  const chunkStarts: number[] = [];
  const adopts: { start: number; end: number }[] = [];
  const renews: number[] = [];
  const steps: [number, string][] = [];
  const counter = countingD1(base.d1, (query) => {
    if (CHUNK_READ.test(query)) chunkStarts.push(performance.now());
    if (chunkStarts.length === 0) steps.push([performance.now(), `D1 ${query.replace(/\s+/g, " ").slice(0, 40)}`]);
  });
  const objects = base.mailboxObjects;
  const watchStub = <S extends object>(stub: S): S =>
    new Proxy(stub, {
      get(target, prop) {
        const value = Reflect.get(target, prop) as unknown;
        if (typeof value !== "function") return value;
        if (chunkStarts.length === 0) steps.push([performance.now(), `object ${String(prop)}`]);
        // Called as a method of the stub: an RPC method has no `apply` of its own (that would be a remote call).
        const call = (...args: unknown[]) =>
          (target as unknown as Record<string | symbol, (...a: unknown[]) => unknown>)[prop]?.(...args);
        if (prop === "adoptMessages") {
          return async (...args: unknown[]) => {
            const start = performance.now();
            const result = await call(...args);
            // The switch's adoption hands over only the import items; the chunks hand over messages.
            if ((args[2] as { messages: unknown[] }).messages.length > 0)
              adopts.push({ start, end: performance.now() });
            return result;
          };
        }
        if (prop === "renew") {
          return async (...args: unknown[]) => {
            const result = await call(...args);
            renews.push(performance.now());
            return result;
          };
        }
        return call;
      },
    });
  const mailboxObjects = new Proxy(objects, {
    get(target, prop) {
      if (prop === "get") return (...args: Parameters<typeof objects.get>) => watchStub(target.get(...args));
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const services: Services = { ...base, d1: counter.db, db: getDb(counter.db), mailboxObjects };
  return { services, counter, chunkStarts, adopts, renews, steps };
}

async function move(mailbox: Seeded): Promise<Trace> {
  const stores = await env.DB.prepare("SELECT count(*) AS n FROM mailbox_stores WHERE org_id = ?1 AND mailbox = ?2")
    .bind(mailbox.orgId, mailbox.mailbox)
    .first<{ n: number }>();
  if (stores?.n !== 0) throw new Error(`${mailbox.mailbox} has a mailbox_stores row before its move`);
  const watched = watchedServices();
  const chunks = Math.ceil(mailbox.rows / CHUNK_ROWS) + 2;
  const t0 = performance.now();
  const result = await moveMailboxMail(
    watched.services,
    { orgId: mailbox.orgId, mailbox: mailbox.mailbox, inboxId: INBOX },
    { chunks, chunkRows: CHUNK_ROWS },
  );
  const t1 = performance.now();
  const { chunkStarts, adopts, renews } = watched;
  const parts: [number, number, number][] = renews.map((renewed, k) => {
    const start = chunkStarts[k] as number;
    const adopt = adopts[k] as { start: number; end: number };
    return [adopt.start - start, adopt.end - adopt.start, renewed - adopt.end];
  });
  return {
    ms: t1 - t0,
    moved: result.moved,
    state: result.state,
    statements: watched.counter.counts.statements,
    chunks: parts,
    startMs: (chunkStarts[0] ?? t1) - t0,
    endMs: t1 - (renews.at(-1) ?? t1),
    at: { called: t0, firstChunk: chunkStarts[0] ?? t1, done: t1 },
    startSteps: watched.steps.map(([t, step]) => [t - t0, step]),
  };
}

// ---------------------------------------------------------------------------------------------------
// Checks: what is left in D1, what the object holds, the inbox's listing

async function leftInD1(mailbox: Seeded) {
  const messages = await env.DB.prepare(
    "SELECT count(*) AS n FROM imported_messages WHERE org_id = ?1 AND mailbox = ?2",
  )
    .bind(mailbox.orgId, mailbox.mailbox)
    .first<{ n: number }>();
  const attachments = await env.DB.prepare(
    "SELECT count(*) AS n FROM message_attachments WHERE org_id = ?1 AND substr(r2_key, 1, length(?2)) = ?2",
  )
    .bind(mailbox.orgId, mailbox.prefix)
    .first<{ n: number }>();
  const store = await env.DB.prepare("SELECT state FROM mailbox_stores WHERE org_id = ?1 AND mailbox = ?2")
    .bind(mailbox.orgId, mailbox.mailbox)
    .first<{ state: string }>();
  return { messages: messages?.n ?? 0, attachments: attachments?.n ?? 0, store: store?.state ?? "none" };
}

const inObject = (mailbox: Seeded) =>
  inMailboxObject(mailbox.orgId, mailbox.mailbox, (sql) => ({
    messages: Number(sql.exec<{ n: number }>("SELECT count(*) AS n FROM messages").one().n),
    attachments: Number(sql.exec<{ n: number }>("SELECT count(*) AS n FROM attachments").one().n),
  }));

/** The fields of a listed message (InboxMessage without `home`, where it is); a D1 row carries more, unused. */
const LISTED_FIELDS = [
  "id",
  "graphId",
  "mailbox",
  "folder",
  "subject",
  "fromAddress",
  "fromName",
  "toRecipients",
  "ccRecipients",
  "receivedAt",
  "sentAt",
  "sortAt",
  "conversationId",
  "bodyPreview",
  "bodyContentType",
  "bodyTruncated",
  "bodySize",
  "hasAttachments",
  "graphModifiedAt",
  "sharedInboxId",
  "bucketId",
  "importedAt",
] as const satisfies readonly Exclude<keyof InboxMessage, "home">[];

/** A listing page as compared: the ids, and the listed fields. */
const listed = (rows: InboxMessage[]) => ({
  ids: rows.map((row) => row.id),
  fields: rows.map((row) => Object.fromEntries(LISTED_FIELDS.map((key) => [key, row[key]]))),
});

/** The inbox's first page and a page half way down (its cursor fixed before the move), with p50 ms of each. */
async function listing(orgId: string, deep: ListingKey) {
  const pages = [];
  for (const after of [undefined, deep]) {
    await listInboxMessages(base, orgId, INBOX, LIST_PAGE, after); // warm-up, not counted
    const times: number[] = [];
    let page: InboxMessage[] = [];
    for (let run = 0; run < LIST_RUNS; run++) {
      const t0 = performance.now();
      page = (await listInboxMessages(base, orgId, INBOX, LIST_PAGE, after)).rows;
      times.push(performance.now() - t0);
    }
    if (page.length !== LIST_PAGE) throw new Error(`a listing page of ${orgId} held ${page.length} rows`);
    pages.push({ ...listed(page), p50: quantile(sortNum(times), 0.5) });
  }
  return pages;
}

/** Which fields of the same rows differ before and after, with one example each ("all identical" when none). */
function differingFields(before: Record<string, unknown>[], after: Record<string, unknown>[]): string {
  const examples = new Map<string, string>();
  for (const [i, row] of before.entries()) {
    const other = after[i] ?? {};
    for (const key of new Set([...Object.keys(row), ...Object.keys(other)])) {
      const [a, b] = [JSON.stringify(row[key]), JSON.stringify(other[key])];
      if (a !== b && !examples.has(key)) examples.set(key, `${key} ${a} -> ${b}`);
    }
  }
  return examples.size === 0 ? "all identical" : [...examples.values()].join(", ");
}

async function halfWay(orgId: string): Promise<ListingKey> {
  const total = await env.DB.prepare(
    "SELECT count(*) AS n FROM imported_messages WHERE org_id = ?1 AND shared_inbox_id = ?2 AND deleted_at IS NULL",
  )
    .bind(orgId, INBOX)
    .first<{ n: number }>();
  const row = await env.DB.prepare(
    `SELECT sort_at, id FROM imported_messages WHERE org_id = ?1 AND shared_inbox_id = ?2 AND deleted_at IS NULL
     ORDER BY sort_at DESC, id DESC LIMIT 1 OFFSET ?3`,
  )
    .bind(orgId, INBOX, Math.floor((total?.n ?? 0) / 2))
    .first<{ sort_at: string; id: string }>();
  if (!row) throw new Error(`no rows in ${orgId}`);
  return [row.sort_at, row.id];
}

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number);
const sortNum = (values: number[]) => [...values].sort((a, b) => a - b);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

interface Phase {
  name: string;
  mailboxes: Seeded[];
  traces: Trace[];
  wallMs: number;
  inboxes: { orgId: string; mailboxes: number; rows: number; same: boolean; fieldsDiffer: string; p50: string }[];
  /** Summed over the moved mailboxes: rows and attachment rows left in D1, and held by the objects. */
  left: { messages: number; attachments: number };
  held: { messages: number; attachments: number };
  /** Moves at once: when each was called, began its first chunk and returned, from the group's start. */
  timeline: string[];
  problems: string[];
}

/** Moves `groups` (each group's mailboxes at once, the groups one after another) and checks the result. */
async function runPhase(name: string, orgs: Map<string, Seeded[]>, moving: Seeded[], atOnce: number): Promise<Phase> {
  const before = new Map<string, { deep: ListingKey; pages: Awaited<ReturnType<typeof listing>> }>();
  for (const orgId of orgs.keys()) {
    const deep = await halfWay(orgId);
    before.set(orgId, { deep, pages: await listing(orgId, deep) });
  }
  const traces: Trace[] = [];
  const timeline: string[] = [];
  let wallMs = 0;
  for (let i = 0; i < moving.length; i += atOnce) {
    const t0 = performance.now();
    const group = await Promise.all(moving.slice(i, i + atOnce).map(move));
    wallMs += performance.now() - t0;
    traces.push(...group);
    if (atOnce > 1) {
      for (const [k, trace] of group.entries()) {
        timeline.push(
          `  move ${i + k + 1}: called +${(trace.at.called - t0).toFixed(0)} ms, first chunk +${(trace.at.firstChunk - t0).toFixed(0)} ms, ` +
            `done +${(trace.at.done - t0).toFixed(0)} ms; its longest step before the first chunk: ${longestStep(trace)}`,
        );
      }
    }
  }
  const problems: string[] = [];
  const leftAll = { messages: 0, attachments: 0 };
  const heldAll = { messages: 0, attachments: 0 };
  for (const [k, mailbox] of moving.entries()) {
    const trace = traces[k] as Trace;
    const left = await leftInD1(mailbox);
    const held = await inObject(mailbox);
    leftAll.messages += left.messages;
    leftAll.attachments += left.attachments;
    heldAll.messages += held.messages;
    heldAll.attachments += held.attachments;
    if (trace.state !== "object" || trace.moved !== mailbox.rows) {
      problems.push(`${mailbox.mailbox}: move answered ${trace.state}, ${trace.moved}/${mailbox.rows} moved`);
    }
    if (left.messages !== 0 || left.attachments !== 0 || left.store !== "object") {
      problems.push(
        `${mailbox.mailbox}: D1 keeps ${left.messages} rows, ${left.attachments} attachments (${left.store})`,
      );
    }
    if (held.messages !== mailbox.rows || held.attachments !== mailbox.attachments) {
      problems.push(
        `${mailbox.mailbox}: object holds ${held.messages}/${mailbox.rows} rows, ${held.attachments}/${mailbox.attachments} attachments`,
      );
    }
  }
  const inboxes = [];
  for (const [orgId, members] of orgs) {
    const was = before.get(orgId) as { deep: ListingKey; pages: Awaited<ReturnType<typeof listing>> };
    const now = await listing(orgId, was.deep);
    const same = now.every((page, p) => page.ids.join() === was.pages[p]?.ids.join());
    const fieldsDiffer = differingFields(
      was.pages.flatMap((page) => page.fields),
      now.flatMap((page) => page.fields),
    );
    if (!same) problems.push(`${orgId}: the inbox lists other ids after the move`);
    inboxes.push({
      orgId,
      mailboxes: members.length,
      rows: sum(members.map((m) => m.rows)),
      same,
      fieldsDiffer,
      p50: now.map((page, p) => `${(was.pages[p]?.p50 ?? 0).toFixed(1)} -> ${page.p50.toFixed(1)}`).join(", "),
    });
  }
  return { name, mailboxes: moving, traces, wallMs, inboxes, left: leftAll, held: heldAll, timeline, problems };
}

it(`moves ${MAILBOXES} mailboxes of ${ROWS} D1 rows into their objects one by one, then ${CONCURRENT} at once`, async () => {
  // 1. Seeding: mailboxes in orgs of up to 5 (each org's default inbox is one listing); the concurrent set
  // is one more org, CONCURRENT of its 5 mailboxes moving, the others staying in D1.
  const seedStarted = performance.now();
  const sequentialOrgs = new Map<string, Seeded[]>();
  let seed = 1;
  for (let m = 0; m < MAILBOXES; m++) {
    if (m % INBOX_MAILBOXES === 0) sequentialOrgs.set(uniqueOrg("bench-move"), []);
    const orgId = [...sequentialOrgs.keys()].at(-1) as string;
    sequentialOrgs.get(orgId)?.push(await seedMailbox(orgId, `postfach-${m}@stadtwerke-sued.example`, ROWS, seed++));
  }
  const concurrentOrg = uniqueOrg("bench-move-parallel");
  const concurrentMembers: Seeded[] = [];
  for (let m = 0; m < Math.max(CONCURRENT, INBOX_MAILBOXES); m++) {
    concurrentMembers.push(await seedMailbox(concurrentOrg, `postfach-${m}@stadtwerke-nord.example`, ROWS, seed++));
  }
  const seededRows = sum([...sequentialOrgs.values(), concurrentMembers].flat().map((m) => m.rows));
  const seedMs = performance.now() - seedStarted;

  // 2. One mailbox after another, then CONCURRENT at once.
  const sequential = await runPhase("one at a time", sequentialOrgs, [...sequentialOrgs.values()].flat(), 1);
  const concurrent = await runPhase(
    `${CONCURRENT} at once`,
    new Map([[concurrentOrg, concurrentMembers]]),
    concurrentMembers.slice(0, CONCURRENT),
    CONCURRENT,
  );

  const f = (n: number, digits = 1) => n.toFixed(digits);
  const size = QUICK
    ? "VITE_BENCH_QUICK=1 "
    : MAILBOXES !== 10 || ROWS !== 10_000 || CONCURRENT !== 3
      ? `VITE_BENCH_MAILBOXES=${MAILBOXES} VITE_BENCH_ROWS=${ROWS} VITE_BENCH_CONCURRENT=${CONCURRENT} `
      : "";
  const rate = (phase: Phase) => (sum(phase.mailboxes.map((m) => m.rows)) * 1000) / phase.wallMs;
  const chunkStats = (phase: Phase) => {
    const chunks = phase.traces.flatMap((t) => t.chunks);
    const total = sortNum(chunks.map((c) => c[0] + c[1] + c[2]));
    const part = (i: number) => quantile(sortNum(chunks.map((c) => c[i] as number)), 0.5);
    return { count: chunks.length, p50: quantile(total, 0.5), p95: quantile(total, 0.95), parts: [0, 1, 2].map(part) };
  };
  const seqChunks = chunkStats(sequential);
  const conChunks = chunkStats(concurrent);
  const phaseRow = (phase: Phase, chunks: ReturnType<typeof chunkStats>) => {
    const moved = sum(phase.traces.map((t) => t.moved));
    const perMailbox = sortNum(phase.traces.map((t) => t.ms));
    return [
      phase.name.padEnd(13),
      String(phase.mailboxes.length).padStart(9),
      String(moved).padStart(6),
      f(phase.wallMs / 1000).padStart(6),
      f(rate(phase), 0).padStart(7),
      f(quantile(perMailbox, 0.5) / 1000, 2).padStart(13),
      String(chunks.count).padStart(6),
      f(chunks.p50).padStart(6),
      f(chunks.p95).padStart(6),
      chunks.parts
        .map((p) => f(p))
        .join(" / ")
        .padStart(21),
      f(quantile(sortNum(phase.traces.map((t) => t.startMs)), 0.5)).padStart(8),
      f((sum(phase.traces.map((t) => t.statements)) * 1000) / moved).padStart(10),
    ].join(" | ");
  };
  const checks = (phase: Phase) => {
    const seeded = {
      rows: sum(phase.mailboxes.map((m) => m.rows)),
      files: sum(phase.mailboxes.map((m) => m.attachments)),
    };
    return [
      `${phase.name}: D1 left ${phase.left.messages} rows, ${phase.left.attachments} attachment rows; objects hold ` +
        `${phase.held.messages} rows (seeded ${seeded.rows}), ${phase.held.attachments} attachment rows (seeded ${seeded.files})`,
      ...phase.inboxes.map(
        (inbox) =>
          `  inbox of ${inbox.mailboxes} mailboxes (${inbox.rows} rows): first page and half-way page ids ` +
          `${inbox.same ? "identical" : "DIFFERENT"} before/after (listed fields: ${inbox.fieldsDiffer}); ` +
          `p50 ms first, half-way: ${inbox.p50}`,
      ),
      ...phase.timeline,
      ...phase.problems.map((p) => `  PROBLEM ${p}`),
    ];
  };
  const lines = [
    `reproduce: ${size}VITEST_FS_MODULE_CACHE=0 npm run bench:mailbox-move`,
    `mailbox move: D1 seeded with ${seededRows} rows (${ROWS} per mailbox, ~${ATTACHMENT_SHARE * 100}% with one attachment row) ` +
      `in ${f(seedMs / 1000)} s; moveMailboxMail with chunks of ${CHUNK_ROWS} (MAILBOX_MOVE_CHUNK_ROWS), one call per mailbox`,
    "",
    "run           | mailboxes |   rows | wall s |  rows/s | mailbox p50 s | chunks | p50 ms | p95 ms | read/adopt/delete p50 | start ms | D1/1k rows",
    phaseRow(sequential, seqChunks),
    phaseRow(concurrent, conChunks),
    `${CONCURRENT} at once / one at a time: rows/s ${f(rate(concurrent) / rate(sequential), 2)}, ` +
      `chunk p50 ${f(conChunks.p50 / seqChunks.p50, 2)}, p95 ${f(conChunks.p95 / seqChunks.p95, 2)}; ` +
      `chunk p95 / p50 one at a time ${f(seqChunks.p95 / seqChunks.p50, 2)}`,
    "(a chunk: D1 read of the rows and their attachment rows / the object's adopt / D1 delete + lease renewal; " +
      "start: lease, fence, import items and the directory row before the first chunk)",
    "",
    ...checks(sequential),
    ...checks(concurrent),
  ];
  console.log(`\n${lines.join("\n")}\n`);
  const problems = [...sequential.problems, ...concurrent.problems];
  if (problems.length > 0) throw new Error(problems.join("\n"));
}, 3600_000);
