import { describe, expect, it } from "vitest";
import { foldForSearch, MAX_QUERY_CHARS, parseSearchQuery } from "@/shared/search-query";

/** A search's words as data: only quoted runs of letters and digits reach FTS5, whatever was typed. */

const match = (q: string) => {
  const parsed = parseSearchQuery(q);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.match;
};

/** Every FTS5 query built must be quoted letters/digits runs joined by AND (the only syntax it may carry). */
const SAFE = /^"[\p{L}\p{N}\p{M} ]+"\*?( AND "[\p{L}\p{N}\p{M} ]+"\*?)*$/u;

describe("parseSearchQuery", () => {
  it("makes every word a required word prefix and a quoted phrase an exact phrase", () => {
    expect(match("abschlag")).toBe('"abschlag"*');
    expect(match("Zählerstand März")).toBe('"Zählerstand"* AND "März"*');
    expect(match('"meter reading" outage')).toBe('"meter reading" AND "outage"*');
    expect(match("max@stadtwerke.example")).toBe('"max stadtwerke example"*');
  });

  it("matches a word shorter than 3 characters as a whole word, never as a prefix of every word with its start", () => {
    expect(match("a e i o n")).toBe('"a" AND "e" AND "i" AND "o" AND "n"');
    expect(match("ab abc")).toBe('"ab" AND "abc"*');
    expect(match("max@x.de")).toBe('"max x de"');
  });

  it("folds ß to ss (unicode61 folds case and the other diacritics)", () => {
    expect(match("Straße")).toBe('"Strasse"*');
    expect(foldForSearch("GROẞE Straße")).toBe("GROssE Strasse");
  });

  it("reads FTS5 operators, column filters, brackets, stars and NUL as plain words", () => {
    for (const q of [
      "subject:invoice OR body:NEAR(a b)",
      'a" OR "b',
      "NOT meter AND -reading ^start *",
      "(((x)))",
      "meter\u0000reading",
      '"unclosed phrase',
      "{a b}: c+d",
    ]) {
      expect(match(q)).toMatch(SAFE);
    }
    expect(match("subject:invoice OR x")).toBe('"subject invoice"* AND "OR" AND "x"');
    expect(match("meter\u0000reading")).toBe('"meter"* AND "reading"*');
  });

  it("answers what is wrong with input it cannot search for", () => {
    expect(parseSearchQuery("   ")).toEqual({ ok: false, error: expect.stringMatching(/nothing to search for/) });
    expect(parseSearchQuery('*** "" ()')).toMatchObject({ ok: false });
    expect(parseSearchQuery("x".repeat(MAX_QUERY_CHARS + 1))).toMatchObject({ ok: false, error: /at most 500/ });
    expect(parseSearchQuery(Array.from({ length: 17 }, (_, i) => `w${i}`).join(" "))).toMatchObject({
      ok: false,
      error: /at most 16/,
    });
  });
});
