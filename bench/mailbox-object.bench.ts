import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { it } from "vitest";
import type { IncomingMessage } from "@/db/mailbox-object";
import { servicesFor } from "@/entry/services";
import { lockStub } from "@/features/mailboxes/sync/lock-stub";
import {
  type ListedRow,
  type ListingKey,
  mergePages,
  type PageSource,
} from "@/features/shared-inbox-messages/merge-pages";
import { uniqueOrg } from "../test/helpers/api";
import { b64, person, pick, preview, type Rand, random, subject } from "./realistic-mail";

/**
 * `npm run bench:mailbox-object`: the message index in each mailbox's Durable Object (SQLite) filled by an
 * import. M mailboxes receive N messages in total as import pages of 50 realistic rows (German subjects and
 * previews with umlauts, 1-3 recipients, Graph-length ids), each written through `writeImportPage` under the
 * mailbox's lease, 10 mailboxes at a time (one page after another within a mailbox, as an import runs).
 * The volume is written in tenths: every mailbox gets a tenth of its messages per round, so the tenth
 * k holds writes into objects k/10 full, and the per-page cost per tenth shows whether filling them costs.
 *
 * Then: the objects' SQLite size per message, a 5-mailbox inbox's merged listing (first page and one deep
 * in the listing, through `mergePages` over `listMessages` of the 5 objects), and D1's share (none of these
 * rows go to D1). Prints a table; asserts nothing about time.
 *
 * Size: 100 mailboxes x 1,000,000 messages; `VITE_BENCH_QUICK=1` for 20 x 50,000; `VITE_BENCH_MAILBOXES`,
 * `VITE_BENCH_MESSAGES` for any other. Only `VITE_`-prefixed variables reach the Worker (as import.meta.env),
 * and they are written into the transformed file, which vitest's module cache keys without them: run with
 * `VITEST_FS_MODULE_CACHE=0`, or a size of an earlier run is used (the table's first lines say which ran).
 */
const vars = (import.meta as ImportMeta & { env?: Record<string, string | undefined> }).env ?? {};
const QUICK = vars.VITE_BENCH_QUICK === "1";
const MAILBOXES = Number(vars.VITE_BENCH_MAILBOXES ?? (QUICK ? 20 : 100));
const MESSAGES = Number(vars.VITE_BENCH_MESSAGES ?? (QUICK ? 50_000 : 1_000_000));
const PAGE_ROWS = 50;
const PARALLEL = 10;
const TENTHS = 10;
const INBOX_MAILBOXES = 5;
const LIST_PAGE = 50;
const LIST_RUNS = 50;
/** How deep into the merged listing the deep page starts (fraction of the inbox's messages). */
const DEEP = 0.9;

const services = servicesFor(env);

interface Mailbox {
  owner: { orgId: string; mailbox: string };
  stub: ReturnType<typeof lockStub>;
  lease: { executionId: string; token: number };
  rand: Rand;
  /** The messages this mailbox receives, and how many of them are made (each page made is written). */
  total: number;
  written: number;
  /** Graph's immutable ids share the mailbox's store prefix; 68 characters in all. */
  idPrefix: string;
  conversations: string[];
  /** The newest message's time; each next one is older (an import reads newest first). */
  newest: number;
  spacingMs: number;
}

const TWO_YEARS_MS = 2 * 365 * 24 * 3600 * 1000;

/** The next import page of `mailbox` (inbox pages, then every fourth page sent items). */
function nextPage(mailbox: Mailbox, pageIndex: number): IncomingMessage[] {
  const rand = mailbox.rand;
  const count = Math.min(PAGE_ROWS, mailbox.total - mailbox.written);
  const folder = pageIndex % 4 === 3 ? "sentitems" : "inbox";
  const self = { address: mailbox.owner.mailbox, name: "Kundenservice Stadtwerke Süd" };
  return Array.from({ length: count }, (_, i) => {
    const n = mailbox.written + i;
    const at = new Date(mailbox.newest - n * mailbox.spacingMs - Math.floor(rand() * mailbox.spacingMs));
    const received = at.toISOString();
    const sent = new Date(at.getTime() - 2_000 - Math.floor(rand() * 60_000)).toISOString();
    const sender = folder === "inbox" ? person(rand) : self;
    const recipients = Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, r) =>
      folder === "inbox" && r === 0 ? self : person(rand),
    );
    return {
      uid: crypto.randomUUID(),
      graph_id: `${mailbox.idPrefix}${b64(rand, 68 - mailbox.idPrefix.length)}`,
      folder,
      subject: subject(rand),
      from_address: sender.address,
      from_name: sender.name,
      to: JSON.stringify(recipients),
      cc: JSON.stringify(rand() < 0.2 ? [person(rand)] : []),
      received_at: received,
      sent_at: sent,
      sort_at: folder === "sentitems" ? sent : received,
      conversation_id: pick(rand, mailbox.conversations),
      body_preview: preview(rand),
      body_content_type: "html",
      body_truncated: 0,
      graph_modified_at: new Date(at.getTime() + Math.floor(rand() * 3_600_000)).toISOString(),
      body_size: 2_000 + Math.floor(rand() * 60_000),
      has_attachments: rand() < 0.15 ? 1 : 0,
    } satisfies IncomingMessage;
  });
}

/** An import page of `rows` as the bench has always written it: the rows alone (no attachments, no outcomes). */
const importPage = (rows: IncomingMessage[]) => ({ rows, attachments: [], outcomes: [] });

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number);
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const sortNum = (values: number[]) => [...values].sort((a, b) => a - b);

/** imported_messages rows of the org in D1, and D1's database size (bytes). */
async function d1Share(orgId: string) {
  const result = await env.DB.prepare("SELECT count(*) AS n FROM imported_messages WHERE org_id = ?")
    .bind(orgId)
    .run<{ n: number }>();
  return { rows: result.results[0]?.n ?? 0, bytes: result.meta.size_after };
}

it(
  `fills ${MAILBOXES} mailbox objects with ${MESSAGES} messages in import pages, then lists a 5-mailbox inbox`,
  async () => {
    const orgId = uniqueOrg("bench-object");
    const d1Before = await d1Share(orgId);
    const perMailbox = Math.floor(MESSAGES / MAILBOXES);
    const now = Date.now();
    const mailboxes: Mailbox[] = [];
    for (let m = 0; m < MAILBOXES; m++) {
      const owner = { orgId, mailbox: `postfach-${m}@stadtwerke-sued.example` };
      const stub = lockStub(services, orgId, owner.mailbox);
      const executionId = crypto.randomUUID();
      const grant = await stub.acquire({ ...owner, executionId, leaseMs: 6 * 3600_000 });
      if (!grant.ok) throw new Error(`no lease for ${owner.mailbox}`);
      const rand = random(m + 1);
      const total = perMailbox + (m < MESSAGES % MAILBOXES ? 1 : 0);
      mailboxes.push({
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
      });
    }

    // The first call opens an object's index (its migrations): once per object, so timed apart from the pages.
    const opens: number[] = [];
    for (const mailbox of mailboxes) {
      const t0 = performance.now();
      await mailbox.stub.messageCounts(mailbox.owner);
      opens.push(performance.now() - t0);
    }

    // 1. The import, in tenths of the volume; in each, the mailboxes in groups of PARALLEL written at once.
    // A group's pages are made before its clock starts: the test and the objects share one isolate, so
    // making rows while pages are written would count as write time.
    const pagesOf = (mailbox: Mailbox) => Math.ceil(mailbox.total / PAGE_ROWS);
    const tenths: { pages: number[]; messages: number; wallMs: number }[] = [];
    let importMs = 0;
    for (let tenth = 0; tenth < TENTHS; tenth++) {
      const pages: number[] = [];
      let messages = 0;
      let wallMs = 0;
      for (let group = 0; group < mailboxes.length; group += PARALLEL) {
        const batch = mailboxes.slice(group, group + PARALLEL).map((mailbox) => {
          const from = Math.floor((pagesOf(mailbox) * tenth) / TENTHS);
          const to = Math.floor((pagesOf(mailbox) * (tenth + 1)) / TENTHS);
          const rows: IncomingMessage[][] = [];
          for (let page = from; page < to; page++) {
            rows.push(nextPage(mailbox, page));
            mailbox.written += rows.at(-1)?.length ?? 0;
          }
          return { mailbox, rows };
        });
        const groupStarted = performance.now();
        await Promise.all(
          batch.map(async ({ mailbox, rows }) => {
            for (const page of rows) {
              const t0 = performance.now();
              const result = await mailbox.stub.writeImportPage(mailbox.owner, mailbox.lease, importPage(page), {
                now: new Date().toISOString(),
                readAt: new Date().toISOString(),
                sharedInboxId: "default",
              });
              pages.push(performance.now() - t0);
              // Not a timing check: a refused or partial write would make every number below meaningless.
              if (result.refused || result.written.length !== page.length) {
                throw new Error(`${mailbox.owner.mailbox}: ${result.written.length}/${page.length} rows written`);
              }
              messages += page.length;
            }
          }),
        );
        wallMs += performance.now() - groupStarted;
      }
      tenths.push({ pages, messages, wallMs });
      importMs += wallMs;
    }
    const written = mailboxes.reduce((sum, mailbox) => sum + mailbox.written, 0);

    // 2. Bytes per message in each object (its SQLite file: messages, indexes, the lease, the owner).
    const perObject: { bytes: number; perMessage: number }[] = [];
    for (const mailbox of mailboxes) {
      const bytes = await runInDurableObject(mailbox.stub, (_, state) => state.storage.sql.databaseSize);
      const { listed } = await mailbox.stub.messageCounts(mailbox.owner);
      if (listed !== mailbox.written) throw new Error(`${mailbox.owner.mailbox} lists ${listed} of ${mailbox.written}`);
      perObject.push({ bytes, perMessage: bytes / listed });
    }
    const perMessage = sortNum(perObject.map((o) => o.perMessage));
    const objectBytes = sortNum(perObject.map((o) => o.bytes));

    // 3. A 5-mailbox inbox's listing: the merged first page and a page deep into it.
    const inbox = mailboxes.slice(0, INBOX_MAILBOXES);
    const inboxMessages = inbox.reduce((sum, mailbox) => sum + mailbox.written, 0);
    type Listed = ListedRow & { folder: string; subject: string | null };
    const sources: PageSource<Listed>[] = inbox.map(
      (mailbox) => async (limit, after) =>
        (await mailbox.stub.listMessages(mailbox.owner, limit, after)).map((row) => ({
          ...row,
          sortAt: row.sort_at,
        })),
    );
    // The deep cursor: the row DEEP into the first mailbox's listing; its merged position is counted exactly.
    const deepCursor = await runInDurableObject(inbox[0]?.stub as Mailbox["stub"], (_, state) => {
      const row = state.storage.sql
        .exec<{ sort_at: string; id: string }>(
          "SELECT sort_at, id FROM messages WHERE deleted_at IS NULL ORDER BY sort_at DESC, id DESC LIMIT 1 OFFSET ?",
          Math.floor((inbox[0]?.written ?? 0) * DEEP),
        )
        .one();
      return [row.sort_at, row.id] as ListingKey;
    });
    let deepPosition = 0;
    for (const mailbox of inbox) {
      deepPosition += await runInDurableObject(mailbox.stub, (_, state) =>
        Number(
          state.storage.sql
            .exec<{ n: number }>(
              "SELECT count(*) AS n FROM messages WHERE deleted_at IS NULL AND (sort_at > ?1 OR (sort_at = ?1 AND id >= ?2))",
              deepCursor[0],
              deepCursor[1],
            )
            .one().n,
        ),
      );
    }
    const listRuns = async (after: ListingKey | undefined) => {
      await mergePages(sources, LIST_PAGE, after); // warm-up, not counted
      const times: number[] = [];
      for (let run = 0; run < LIST_RUNS; run++) {
        const t0 = performance.now();
        const page = await mergePages(sources, LIST_PAGE, after);
        times.push(performance.now() - t0);
        if (page.rows.length !== LIST_PAGE) throw new Error(`a listing page held ${page.rows.length} rows`);
      }
      return sortNum(times);
    };
    const firstPage = await listRuns(undefined);
    const deepPage = await listRuns(deepCursor);

    // 4. D1's share: none of the rows go there.
    const d1After = await d1Share(orgId);

    for (const mailbox of mailboxes) await mailbox.stub.release(mailbox.lease.executionId, mailbox.lease.token);

    const f = (n: number, digits = 2) => n.toFixed(digits);
    const first = tenths[0] as (typeof tenths)[number];
    const firstMean = mean(first.pages);
    const firstP95 = quantile(sortNum(first.pages), 0.95);
    const firstWallPerPage = first.wallMs / first.pages.length;
    const size = QUICK
      ? "VITE_BENCH_QUICK=1 "
      : MAILBOXES !== 100 || MESSAGES !== 1_000_000
        ? `VITE_BENCH_MAILBOXES=${MAILBOXES} VITE_BENCH_MESSAGES=${MESSAGES} `
        : "";
    const lines = [
      `reproduce: ${size}VITEST_FS_MODULE_CACHE=0 npm run bench:mailbox-object`,
      `mailbox objects: ${MAILBOXES} mailboxes, ${written} messages (${perMailbox} each) as import pages of ${PAGE_ROWS} rows ` +
        `through writeImportPage under a lease, ${PARALLEL} mailboxes in parallel; import took ${f(importMs / 1000, 1)} s ` +
        `(${f((written * 1000) / importMs, 0)} msg/s, timed writes only)`,
      `first call of each object (opens its index, runs its migrations; not in the pages below): ` +
        `median ${f(quantile(sortNum(opens), 0.5))} ms, p95 ${f(quantile(sortNum(opens), 0.95))} ms`,
      "",
      `1. page write cost per tenth of the volume: ms per page as its caller waits with ${PARALLEL} writers in flight ` +
        "(locally the test and all objects share one isolate, so a page also waits for the others'); " +
        "wall/page = the tenth's wall time / its pages",
      "volume   | pages | mean ms | p95 ms | wall/page ms | msg/s | mean / 1st | p95 / 1st | wall/page / 1st",
      ...tenths.map((t, k) => {
        const sorted = sortNum(t.pages);
        const wallPerPage = t.wallMs / t.pages.length;
        return [
          `${k * 10}-${(k + 1) * 10}%`.padEnd(8),
          String(t.pages.length).padStart(5),
          f(mean(t.pages)).padStart(7),
          f(quantile(sorted, 0.95)).padStart(6),
          f(wallPerPage).padStart(12),
          f((t.messages * 1000) / t.wallMs, 0).padStart(5),
          f(mean(t.pages) / firstMean).padStart(10),
          f(quantile(sorted, 0.95) / firstP95).padStart(9),
          f(wallPerPage / firstWallPerPage).padStart(15),
        ].join(" | ");
      }),
      "",
      `2. object size: bytes/message median ${f(quantile(perMessage, 0.5), 0)} (min ${f(perMessage[0] ?? 0, 0)}, ` +
        `max ${f(perMessage.at(-1) ?? 0, 0)}) over ${MAILBOXES} objects; databaseSize median ` +
        `${f(quantile(objectBytes, 0.5) / 2 ** 20)} MiB, all objects ${f(objectBytes.reduce((a, b) => a + b, 0) / 2 ** 20, 1)} MiB`,
      "",
      `3. listing a ${INBOX_MAILBOXES}-mailbox inbox (${inboxMessages} messages), mergePages over listMessages, page ${LIST_PAGE}, ${LIST_RUNS} runs each`,
      "page                                   | p50 ms | p95 ms | mean ms",
      ...[
        ["first page (rows 1-50)", firstPage],
        [`deep page (rows ${deepPosition + 1}-${deepPosition + LIST_PAGE} of ${inboxMessages})`, deepPage],
      ].map(([name, times]) =>
        [
          String(name).padEnd(38),
          f(quantile(times as number[], 0.5)).padStart(6),
          f(quantile(times as number[], 0.95)).padStart(6),
          f(mean(times as number[])).padStart(7),
        ].join(" | "),
      ),
      `deep / first: p50 ${f(quantile(deepPage, 0.5) / quantile(firstPage, 0.5))}, p95 ${f(quantile(deepPage, 0.95) / quantile(firstPage, 0.95))}`,
      "",
      `4. D1: imported_messages rows of the bench's org before ${d1Before.rows}, after ${d1After.rows}; ` +
        `D1 database ${d1Before.bytes} -> ${d1After.bytes} bytes; D1 bytes/message ` +
        `${f((d1After.bytes - d1Before.bytes) / written, 0)} (rows/message ${f((d1After.rows - d1Before.rows) / written, 0)})`,
    ];
    console.log(`\n${lines.join("\n")}\n`);
  },
  4 * 3600_000,
);
