import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { it } from "vitest";
import type { IncomingMessage, SearchFields, StoredMessageRow } from "@/db/mailbox-object";
import { MessageSearch } from "@/db/mailbox-object/search.store";
import type { AttachmentRecord } from "@/db/message-store/attachments";
import { servicesFor } from "@/entry/services";
import { lockStub } from "@/features/mailboxes/sync/lock-stub";
import { type ListingKey, mergePages, type PageSource } from "@/features/shared-inbox-messages/merge-pages";
import { parseSearchQuery } from "@/shared/search-query";
import { uniqueOrg } from "../test/helpers/api";
import { b64, person, pick, type Rand, random, subject } from "./realistic-mail";
import { attachmentName, bodyText, bodyWords, RARE_EVERY, RARE_TERM } from "./search-mail";

/**
 * `npm run bench:search`: the full-text index of the mailbox objects (src/db/mailbox-object/search.store.ts,
 * FTS5 contentless `message_search`), filled the way an import fills it and searched the way the shared inbox
 * listing searches (parseSearchQuery, `searchMessages` per mailbox object, `mergePages` across the inbox).
 *
 * Data: one mailbox of LARGE messages (alone, an inbox of one) and an inbox of INBOX_MAILBOXES mailboxes of
 * INBOX_MESSAGES each, all written at once (one writer per object) as import pages of 100 rows through
 * `writeImportPage` under each mailbox's lease. Rows as bench/mailbox-object.bench.ts makes them (German
 * subjects, names with umlauts, 1-3 recipients, Graph-length ids, two years of mail), plus what the index gets:
 * `search_body`, the body's text as searchableBody answers it (bench/search-mail.ts: German and ~15% English
 * customer-service mail, a few hundred to a few thousand words, replies quoting the mail before, Zipf-distributed
 * words, nearly unique numbers; the preview is its first 255 characters) and 1-2 attachment names on ~15%.
 * After each page the bench has the object forget the page's `message.received` events, as the importer's relay
 * does (without writing them to D1), so the objects hold what they hold between pages in production.
 *
 * 1. Index size: each object's `databaseSize` (SQLite file) as filled, then after `delete-all` of the FTS table
 *    (storage is auto-vacuumed: the file shrinks by what the index took; dbstat and page-count pragmas are not
 *    available to an object), then with the index rebuilt without bodies (subject, people, attachment names,
 *    from the stored rows). Bytes per message: index, bodies' share of it, and the rest of the object.
 * 2. Latency as the listing's caller sees it (each page an RPC per object, merged): a rare word
 *    (RARE_TERM, ~1 message in RARE_EVERY), a common word ("bitte") and a prefix ("abschl": Abschlag,
 *    Abschlagszahlung, Abschlags... compounds); first page (50 rows) and a deep page (from a cursor half way
 *    down the matches), warm, p50/p95 over up to RUNS samples (fewer when a case's samples exceed
 *    CASE_BUDGET_MS; the clock ticks in whole milliseconds, so a fast case's sample is the mean of a few runs back
 *    to back, see `timed`). The plain listing of the same inbox (first page, and a page half way down) is the
 *    baseline: ratios search/listing.
 * 3. Where a search's time goes in the large object: the FTS5 MATCH alone (count of matching rowids), the join
 *    to messages with ORDER BY and LIMIT selecting only the keys, and the store's own statement, each run many
 *    times in the object through runInDurableObject.
 * Prints a table; throws when rows are lost or a page is short, asserts nothing about time.
 *
 * Size: 1 x 100,000 and 10 x 10,000 messages; `VITE_BENCH_QUICK=1` for 1 x 10,000 and 10 x 1,000;
 * `VITE_BENCH_LARGE`, `VITE_BENCH_INBOX_MAILBOXES`, `VITE_BENCH_INBOX_MESSAGES` for any other. As in
 * bench/mailbox-object.bench.ts, run with `VITEST_FS_MODULE_CACHE=0` when changing the size.
 */
const vars = (import.meta as ImportMeta & { env?: Record<string, string | undefined> }).env ?? {};
const QUICK = vars.VITE_BENCH_QUICK === "1";
const LARGE = Number(vars.VITE_BENCH_LARGE ?? (QUICK ? 10_000 : 100_000));
const INBOX_MAILBOXES = Number(vars.VITE_BENCH_INBOX_MAILBOXES ?? 10);
const INBOX_MESSAGES = Number(vars.VITE_BENCH_INBOX_MESSAGES ?? (QUICK ? 1_000 : 10_000));
const PAGE_ROWS = 100;
const LIST_PAGE = 50;
const RUNS = QUICK ? 40 : 100;
const MIN_RUNS = 20;
const CASE_BUDGET_MS = QUICK ? 3_000 : 8_000;
const WARMUP_RUNS = 5;
/** How long a latency sample lasts at least (ms): several runs of a fast case, one of a slow one. */
const SAMPLE_MS = 20;
/** Samples of the in-object split (section 3), each about SPLIT_SAMPLE_MS of runs of one statement. */
const SPLIT_RUNS = QUICK ? 5 : 10;
const SPLIT_SAMPLE_MS = 100;
const ATTACHMENT_SHARE = 0.15;
const ENGLISH_SHARE = 0.15;
const TWO_YEARS_MS = 2 * 365 * 24 * 3600 * 1000;

const QUERIES = [
  { kind: "rare", q: RARE_TERM },
  { kind: "common", q: "bitte" },
  { kind: "prefix", q: "abschl" },
] as const;

const services = servicesFor(env);

interface Mailbox {
  owner: { orgId: string; mailbox: string };
  stub: ReturnType<typeof lockStub>;
  lease: { executionId: string; token: number };
  rand: Rand;
  total: number;
  written: number;
  idPrefix: string;
  conversations: string[];
  newest: number;
  spacingMs: number;
  /** Characters of body text written (search_body). */
  textChars: number;
  words: number;
}

type Row = IncomingMessage & Required<SearchFields>;

/** The next import page of `mailbox`: PAGE_ROWS rows (newest first, a quarter sent items) and their attachments. */
function nextPage(mailbox: Mailbox): { rows: Row[]; attachments: AttachmentRecord[] } {
  const rand = mailbox.rand;
  const count = Math.min(PAGE_ROWS, mailbox.total - mailbox.written);
  const self = { address: mailbox.owner.mailbox, name: "Kundenservice Stadtwerke Süd" };
  const attachments: AttachmentRecord[] = [];
  const rows = Array.from({ length: count }, (_, i): Row => {
    const n = mailbox.written + i;
    const folder = rand() < 0.25 ? "sentitems" : "inbox";
    const at = new Date(mailbox.newest - n * mailbox.spacingMs - Math.floor(rand() * mailbox.spacingMs));
    const received = at.toISOString();
    const sent = new Date(at.getTime() - 2_000 - Math.floor(rand() * 60_000)).toISOString();
    const sender = folder === "inbox" ? person(rand) : self;
    const recipients = Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, r) =>
      folder === "inbox" && r === 0 ? self : person(rand),
    );
    const title = subject(rand);
    const words = bodyWords(rand);
    const body = bodyText(rand, words, rand() < ENGLISH_SHARE, title.startsWith("AW:"));
    mailbox.textChars += body.length;
    mailbox.words += words;
    const graphId = `${mailbox.idPrefix}${b64(rand, 68 - mailbox.idPrefix.length)}`;
    const hasAttachments = rand() < ATTACHMENT_SHARE;
    if (hasAttachments) {
      for (let a = 0, k = 1 + Math.floor(rand() * 2); a < k; a++) {
        const name = attachmentName(rand);
        attachments.push({
          graph_id: graphId,
          id: `AAMkA${b64(rand, 40)}`,
          name,
          content_type: name.endsWith(".pdf") ? "application/pdf" : "application/octet-stream",
          size: 20_000 + Math.floor(rand() * 2_000_000),
          content_id: null,
          is_inline: 0,
          kind: "file",
          state: "stored",
          skipped_reason: null,
          r2_key: `bench/${graphId}/${a}`,
          sha256: b64(rand, 43),
        });
      }
    }
    return {
      uid: crypto.randomUUID(),
      graph_id: graphId,
      folder,
      subject: title,
      from_address: sender.address,
      from_name: sender.name,
      to: JSON.stringify(recipients),
      cc: JSON.stringify(rand() < 0.2 ? [person(rand)] : []),
      received_at: received,
      sent_at: sent,
      sort_at: folder === "sentitems" ? sent : received,
      conversation_id: pick(rand, mailbox.conversations),
      body_preview: body.slice(0, 255),
      body_content_type: "html",
      body_truncated: 0,
      graph_modified_at: new Date(at.getTime() + Math.floor(rand() * 3_600_000)).toISOString(),
      body_size: body.length * 3 + Math.floor(rand() * 20_000),
      has_attachments: hasAttachments ? 1 : 0,
      search_body: body,
    };
  });
  return { rows, attachments };
}

/** Writes all of `mailbox`'s messages, page after page; answers each page's write time (ms). */
async function fill(mailbox: Mailbox): Promise<number[]> {
  const times: number[] = [];
  while (mailbox.written < mailbox.total) {
    const page = nextPage(mailbox);
    const t0 = performance.now();
    const result = await mailbox.stub.writeImportPage(
      mailbox.owner,
      mailbox.lease,
      { ...page, outcomes: [] },
      { now: new Date().toISOString(), readAt: new Date().toISOString(), sharedInboxId: "default" },
    );
    times.push(performance.now() - t0);
    if (result.refused || result.written.length !== page.rows.length) {
      throw new Error(`${mailbox.owner.mailbox}: ${result.written.length}/${page.rows.length} rows written`);
    }
    // What the importer's relay does after a page, without D1: the object forgets the page's events.
    const events = await mailbox.stub.pendingMessageEvents(mailbox.owner, 2 * PAGE_ROWS);
    if (events.length > 0) {
      await mailbox.stub.ackMessageEvents(
        mailbox.owner,
        events.map((event) => event.id),
      );
    }
    mailbox.written += page.rows.length;
  }
  return times;
}

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number);
const sortNum = (values: number[]) => [...values].sort((a, b) => a - b);
const median = (values: number[]) => quantile(sortNum(values), 0.5);

/**
 * Samples of `run`'s time (ms), sorted: WARMUP_RUNS runs untimed, then RUNS samples (fewer past CASE_BUDGET_MS,
 * never below MIN_RUNS). The clock here ticks in whole milliseconds, so a sample is the mean of `batch` runs back
 * to back, `batch` chosen (from the warm-up) to make a sample last about SAMPLE_MS: one run per sample for
 * anything slower than that, and the percentiles of a faster case are those of means of a few runs.
 */
async function timed(run: () => Promise<void>): Promise<Timing> {
  const warm = performance.now();
  for (let i = 0; i < WARMUP_RUNS; i++) await run();
  const batch = Math.max(1, Math.round(SAMPLE_MS / Math.max(0.05, (performance.now() - warm) / WARMUP_RUNS)));
  const times: number[] = [];
  const started = performance.now();
  while (times.length < RUNS && (times.length < MIN_RUNS || performance.now() - started < CASE_BUDGET_MS)) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) await run();
    times.push((performance.now() - t0) / batch);
  }
  return { times: sortNum(times), batch };
}

interface Timing {
  times: number[];
  /** Runs per sample. */
  batch: number;
}

/** The FROM and WHERE of a search as search.store.ts builds it (no filters); `?1` the MATCH expression. */
const SEARCH_FROM = `FROM message_search JOIN messages m ON m.search_rowid = message_search.rowid
  WHERE m.deleted_at IS NULL AND message_search MATCH ?1`;
const LISTING_FROM = "FROM messages m WHERE m.deleted_at IS NULL";

/** In `mailbox`, its listed rows (`match` null) or its matches: how many, and the key of the one at `fraction` down. */
async function rowsOf(mailbox: Mailbox, match: string | null, fraction: number) {
  return runInDurableObject(mailbox.stub, (_, state) => {
    const from = match === null ? LISTING_FROM : SEARCH_FROM;
    const args = match === null ? [] : [match];
    const count = Number(state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n ${from}`, ...args).one().n);
    const at = state.storage.sql
      .exec<{ sort_at: string; id: string }>(
        `SELECT m.sort_at, m.id ${from} ORDER BY m.sort_at DESC, m.id DESC LIMIT 1 OFFSET ${Math.floor(count * fraction)}`,
        ...args,
      )
      .toArray()[0];
    return { count, key: at ? ([at.sort_at, at.id] as ListingKey) : undefined };
  });
}

/** Rows of `mailbox` at or above `key` in its listing (or its matches of `match`). */
async function rowsAbove(mailbox: Mailbox, match: string | null, key: ListingKey) {
  return runInDurableObject(mailbox.stub, (_, state) => {
    const from = match === null ? LISTING_FROM : SEARCH_FROM;
    const n = match === null ? 1 : 2;
    return Number(
      state.storage.sql
        .exec<{ n: number }>(
          `SELECT count(*) AS n ${from} AND (m.sort_at > ?${n} OR (m.sort_at = ?${n} AND m.id >= ?${n + 1}))`,
          ...(match === null ? [] : [match]),
          key[0],
          key[1],
        )
        .one().n,
    );
  });
}

type Listed = StoredMessageRow & { sortAt: string };
const listed = (rows: StoredMessageRow[]): Listed[] => rows.map((row) => ({ ...row, sortAt: row.sort_at }));

interface Case {
  name: string;
  matches: number;
  first: Timing;
  deep: Timing;
  deepRows: string;
}

/**
 * The first page and a deep page of an inbox of `mailboxes`: its listing (`match` null) or a search. The deep
 * page starts half way down the matches of the mailbox with the most of them; its merged position is counted.
 */
async function measure(mailboxes: Mailbox[], name: string, match: string | null): Promise<Case> {
  const sources: PageSource<Listed>[] = mailboxes.map((mailbox) =>
    match === null
      ? async (limit, after) => listed(await mailbox.stub.listMessages(mailbox.owner, limit, after))
      : async (limit, after) =>
          listed(await mailbox.stub.searchMessages(mailbox.owner, { match, filters: {} }, limit, after)),
  );
  const counts = await Promise.all(mailboxes.map((mailbox) => rowsOf(mailbox, match, 0.5)));
  const matches = counts.reduce((sum, c) => sum + c.count, 0);
  const most = counts.reduce((best, c, i) => (c.count > (counts[best]?.count ?? 0) ? i : best), 0);
  const cursor = counts[most]?.key;
  let above = 0;
  if (cursor) for (const mailbox of mailboxes) above += await rowsAbove(mailbox, match, cursor);
  const expect = (after: ListingKey | undefined) => Math.min(LIST_PAGE, after ? matches - above : matches);
  const page = (after: ListingKey | undefined) => async () => {
    const result = await mergePages(sources, LIST_PAGE, after);
    if (result.rows.length !== expect(after)) {
      throw new Error(`${name}: a page held ${result.rows.length} rows, not ${expect(after)}`);
    }
  };
  const first = await timed(page(undefined));
  const deep = cursor ? await timed(page(cursor)) : { times: [], batch: 0 };
  const deepRows = cursor ? `${above + 1}-${above + expect(cursor)}` : "-";
  return { name, matches, first, deep, deepRows };
}

it(
  `indexes 1 x ${LARGE} and ${INBOX_MAILBOXES} x ${INBOX_MESSAGES} messages with their bodies, then searches them`,
  async () => {
    const orgId = uniqueOrg("bench-search");
    const now = Date.now();
    const open = async (name: string, total: number, seed: number): Promise<Mailbox> => {
      const owner = { orgId, mailbox: `${name}@stadtwerke-sued.example` };
      const stub = lockStub(services, orgId, owner.mailbox);
      const executionId = crypto.randomUUID();
      const grant = await stub.acquire({ ...owner, executionId, leaseMs: 6 * 3600_000 });
      if (!grant.ok) throw new Error(`no lease for ${owner.mailbox}`);
      const rand = random(seed);
      return {
        owner,
        stub,
        lease: { executionId, token: grant.token },
        rand,
        total,
        written: 0,
        idPrefix: `AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A${b64(rand, 8)}`,
        conversations: Array.from({ length: 200 }, () => `AAQkA${b64(rand, 71)}`),
        newest: now - Math.floor(rand() * 3600_000),
        spacingMs: Math.floor(TWO_YEARS_MS / total),
        textChars: 0,
        words: 0,
      };
    };
    const large = await open("kundenservice", LARGE, 1);
    const inbox: Mailbox[] = [];
    for (let m = 0; m < INBOX_MAILBOXES; m++) inbox.push(await open(`postfach-${m}`, INBOX_MESSAGES, 100 + m));
    const all = [large, ...inbox];

    // Writing: every object at once, one page after another within each (as an import runs).
    const fillStarted = performance.now();
    const pageTimes = (await Promise.all(all.map(fill))).flat();
    const fillMs = performance.now() - fillStarted;
    const written = all.reduce((sum, mailbox) => sum + mailbox.written, 0);
    const textChars = all.reduce((sum, mailbox) => sum + mailbox.textChars, 0);
    const words = all.reduce((sum, mailbox) => sum + mailbox.words, 0);
    for (const mailbox of all) {
      const counts = await mailbox.stub.messageCounts(mailbox.owner);
      if (counts.listed !== mailbox.written) {
        throw new Error(`${mailbox.owner.mailbox} lists ${counts.listed} of ${mailbox.written}`);
      }
    }

    // 2. Latency: the large mailbox alone, then the inbox; each with its listing as the baseline.
    const matches = QUERIES.map(({ kind, q }) => {
      const parsed = parseSearchQuery(q);
      if (!parsed.ok) throw new Error(parsed.error);
      return { kind, q, match: parsed.match };
    });
    const setups: { name: string; mailboxes: Mailbox[]; cases: Case[] }[] = [];
    for (const [name, mailboxes] of [
      [`1 x ${LARGE}`, [large]],
      [`${INBOX_MAILBOXES} x ${INBOX_MESSAGES}`, inbox],
    ] as const) {
      const cases = [await measure([...mailboxes], "listing", null)];
      for (const { kind, match } of matches) cases.push(await measure([...mailboxes], kind, match));
      setups.push({ name, mailboxes: [...mailboxes], cases });
    }

    // 3. Where the time goes, in the large object: the MATCH alone against the whole statement.
    const plan = await runInDurableObject(large.stub, (_, state) =>
      state.storage.sql
        .exec<{ detail: string }>(
          `EXPLAIN QUERY PLAN SELECT m.id ${SEARCH_FROM} ORDER BY m.sort_at DESC, m.id DESC LIMIT 51`,
          matches[1]?.match ?? "",
        )
        .toArray()
        .map((row) => row.detail)
        .join("; "),
    );
    const split: { kind: string; matchOnly: number; keys: number; store: number }[] = [];
    const KEYS_ONLY = `SELECT m.sort_at, m.id ${SEARCH_FROM} ORDER BY m.sort_at DESC, m.id DESC LIMIT 51`;
    for (const { kind, match } of matches) {
      // One statement `reps` times inside one call (the clock ticks in whole ms, and only across the call).
      const inObject = async (statement: "match" | "keys" | "store") => {
        const call = async (reps: number) => {
          const t0 = performance.now();
          await runInDurableObject(large.stub, (_, state) => {
            const sql = state.storage.sql;
            const search = new MessageSearch(sql);
            for (let i = 0; i < reps; i++) {
              if (statement === "match")
                sql.exec("SELECT count(*) FROM message_search WHERE message_search MATCH ?1", match).one();
              else if (statement === "keys") sql.exec(KEYS_ONLY, match).toArray();
              else search.search(match, {}, LIST_PAGE + 1);
            }
          });
          return (performance.now() - t0) / reps;
        };
        const reps = Math.min(2_000, Math.max(1, Math.round(SPLIT_SAMPLE_MS / Math.max(0.01, await call(3)))));
        const times: number[] = [];
        for (let run = 0; run < SPLIT_RUNS; run++) times.push(await call(reps));
        return median(times);
      };
      split.push({
        kind,
        matchOnly: await inObject("match"),
        keys: await inObject("keys"),
        store: await inObject("store"),
      });
    }

    // 1. Sizes (last: emptying the index is destructive). Per object: as filled, without the index, with an index
    // of everything but the bodies (rebuilt from the stored rows: subject, sender and recipients, attachment names).
    const sizes: { mailbox: Mailbox; full: number; without: number; noBodies: number; payload: number }[] = [];
    for (const mailbox of all) {
      sizes.push({
        mailbox,
        ...(await runInDurableObject(mailbox.stub, (_, state) => {
          const sql = state.storage.sql;
          const one = (query: string) => Number(sql.exec<{ n: number }>(query).one().n ?? 0);
          const payload =
            one("SELECT sum(length(block)) AS n FROM message_search_data") +
            one("SELECT sum(length(term) + 8) AS n FROM message_search_idx") +
            one("SELECT sum(length(sz) + 16) AS n FROM message_search_docsize");
          const full = sql.databaseSize;
          sql.exec("INSERT INTO message_search(message_search) VALUES ('delete-all')");
          const without = sql.databaseSize;
          sql.exec(
            `INSERT INTO message_search (rowid, subject, people, body, attachments)
             SELECT m.search_rowid, replace(m.subject, 'ß', 'ss'),
               replace(concat_ws(' ', m.from_name, m.from_address,
                 (SELECT group_concat(concat_ws(' ', j.value ->> '$.name', j.value ->> '$.address'), ' ')
                  FROM json_each(m.to_recipients) AS j),
                 (SELECT group_concat(concat_ws(' ', j.value ->> '$.name', j.value ->> '$.address'), ' ')
                  FROM json_each(m.cc_recipients) AS j)), 'ß', 'ss'),
               '',
               replace((SELECT coalesce(group_concat(a.name, ' '), '') FROM attachments a WHERE a.message_id = m.id),
                 'ß', 'ss')
             FROM messages m WHERE m.deleted_at IS NULL`,
          );
          return { full, without, noBodies: sql.databaseSize, payload };
        })),
      });
    }

    for (const mailbox of all) await mailbox.stub.release(mailbox.lease.executionId, mailbox.lease.token);

    const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "-");
    const perMessage = (pick: (s: (typeof sizes)[number]) => number, of: typeof sizes) =>
      median(of.map((s) => pick(s) / s.mailbox.written));
    const sizeRow = (name: string, of: typeof sizes) => {
      const index = perMessage((s) => s.full - s.without, of);
      const bodies = perMessage((s) => s.full - s.noBodies, of);
      const rest = perMessage((s) => s.without, of);
      const payload = perMessage((s) => s.payload, of);
      const full = perMessage((s) => s.full, of);
      return [
        name.padEnd(22),
        f(full, 0).padStart(11),
        f(index, 0).padStart(11),
        f(payload, 0).padStart(13),
        f(bodies, 0).padStart(10),
        f(index - bodies, 0).padStart(12),
        f(rest, 0).padStart(9),
        f(index / rest).padStart(12),
        f(index / (textChars / written)).padStart(13),
      ].join(" | ");
    };
    const largeSize = sizes[0] as (typeof sizes)[number];
    const reproduce = QUICK
      ? "VITE_BENCH_QUICK=1 "
      : LARGE !== 100_000 || INBOX_MAILBOXES !== 10 || INBOX_MESSAGES !== 10_000
        ? `VITE_BENCH_LARGE=${LARGE} VITE_BENCH_INBOX_MAILBOXES=${INBOX_MAILBOXES} VITE_BENCH_INBOX_MESSAGES=${INBOX_MESSAGES} `
        : "";
    const lines = [
      `reproduce: ${reproduce}VITEST_FS_MODULE_CACHE=0 npm run bench:search`,
      `data: 1 x ${LARGE} + ${INBOX_MAILBOXES} x ${INBOX_MESSAGES} = ${written} messages in pages of ${PAGE_ROWS} through ` +
        `writeImportPage, ${all.length} objects written at once; body text: ${f(words / written, 0)} words, ` +
        `${f(textChars / written, 0)} characters per message on average (${f(textChars / 2 ** 20, 0)} MiB in all); ` +
        `the rare word is in ~1 message in ${RARE_EVERY}`,
      `writing (the text made in the same isolate, all objects sharing one thread locally): ${f(fillMs / 1000, 1)} s, ` +
        `${f((written * 1000) / fillMs, 0)} msg/s, ${f((textChars * 1000) / fillMs / 2 ** 20, 1)} MiB text/s; page write ` +
        `p50 ${f(quantile(sortNum(pageTimes), 0.5))} ms, p95 ${f(quantile(sortNum(pageTimes), 0.95))} ms (${all.length} writers in flight)`,
      "",
      "1. bytes per message (median over the objects): databaseSize as filled; index = as filled - after FTS " +
        "'delete-all' (the file shrinks: auto-vacuum); payload = bytes in the FTS shadow tables' rows; bodies = " +
        "as filled - with an index of all but the bodies; rest = after 'delete-all' (rows, their indexes, attachments)",
      "objects                | object B/msg | index B/msg | payload B/msg | bodies B/msg | other B/msg | rest B/msg | index / rest | index / text char",
      sizeRow(`1 x ${LARGE}`, [largeSize]),
      sizeRow(`${INBOX_MAILBOXES} x ${INBOX_MESSAGES}`, sizes.slice(1)),
      `(the ${LARGE}-message object: ${f(largeSize.full / 2 ** 20, 1)} MiB, of which index ` +
        `${f((largeSize.full - largeSize.without) / 2 ** 20, 1)} MiB; without bodies the index would be ` +
        `${f((largeSize.noBodies - largeSize.without) / 2 ** 20, 1)} MiB)`,
      "",
      `2. latency of a page of ${LIST_PAGE} as the listing's caller sees it (mergePages over the objects' RPCs, each ` +
        `asked for ${LIST_PAGE + 1} rows), warm; n = samples x runs per sample (a sample: the mean of runs back to back, ` +
        `~${SAMPLE_MS} ms at least, as the clock ticks in whole ms), up to ${RUNS} samples (at least ${MIN_RUNS}, ` +
        `fewer past ${CASE_BUDGET_MS / 1000} s); ratio = search / listing, same inbox and page`,
      `queries: ${matches.map(({ kind, q, match }) => `${kind} = "${q}" (MATCH ${match})`).join(", ")}`,
      "inbox        | query   | matches (%)     | first n  | p50 ms | p95 ms | deep page rows | deep n   | p50 ms | p95 ms | first p50 / listing | p95 / listing | deep p50 / listing | p95 / listing",
      ...setups.flatMap(({ name, mailboxes, cases }) => {
        const total = mailboxes.reduce((sum, mailbox) => sum + mailbox.written, 0);
        const listing = cases[0] as Case;
        const ratio = (a: Timing, b: Timing, q: number) => f(quantile(a.times, q) / quantile(b.times, q));
        const n = (t: Timing) => `${t.times.length}x${t.batch}`;
        return cases.map((c) =>
          [
            name.padEnd(12),
            c.name.padEnd(7),
            `${c.matches} (${f((100 * c.matches) / total, 1)}%)`.padEnd(15),
            n(c.first).padEnd(8),
            f(quantile(c.first.times, 0.5)).padStart(6),
            f(quantile(c.first.times, 0.95)).padStart(6),
            c.deepRows.padEnd(14),
            n(c.deep).padEnd(8),
            f(quantile(c.deep.times, 0.5)).padStart(6),
            f(quantile(c.deep.times, 0.95)).padStart(6),
            ratio(c.first, listing.first, 0.5).padStart(19),
            ratio(c.first, listing.first, 0.95).padStart(13),
            ratio(c.deep, listing.deep, 0.5).padStart(18),
            ratio(c.deep, listing.deep, 0.95).padStart(13),
          ].join(" | "),
        );
      }),
      "",
      `3. in the ${LARGE}-message object, per statement (runInDurableObject, each sample ~${SPLIT_SAMPLE_MS} ms of ` +
        `back-to-back runs in one call, median of ${SPLIT_RUNS} samples): the MATCH alone (count of the matching ` +
        "rowids), the join, ORDER BY and LIMIT 51 selecting only the keys, and the store's statement (search.store.ts, " +
        "all listed columns)",
      `plan: ${plan}`,
      "query  | MATCH only ms | keys-only statement ms | store statement ms | join + sort share",
      ...split.map((s) =>
        [
          s.kind.padEnd(6),
          f(s.matchOnly, 3).padStart(13),
          f(s.keys, 3).padStart(22),
          f(s.store, 3).padStart(18),
          `${f((100 * (s.store - s.matchOnly)) / s.store, 0)}%`.padStart(17),
        ].join(" | "),
      ),
    ];
    console.log(`\n${lines.join("\n")}\n`);
  },
  3 * 3600_000,
);
