import { uniqueOrg } from "@test/helpers/api";
import { connectedMailbox } from "@test/helpers/fixtures";
import { harness } from "@test/helpers/mailbox-harness";
import { attachmentRecord } from "@test/helpers/mailbox-object";
import { addAttachments, syncAll } from "@test/helpers/message-store";
import { addFakeGraphMail, mail, objectMailbox, search, subjectsFound } from "@test/helpers/search";
import { describe, expect, it } from "vitest";
import { searchableBody } from "@/shared/search-text";

/**
 * What the words of a search (`q`) find in German and English mail, as a user sees it in the listing: diacritics,
 * ß, case, compound words by their start (and, the documented limit, not by a part inside them), phrases, every
 * word required, and each field a word can be in (subject, sender, recipients, body text, attachment names).
 */

const HTML_BODY =
  "<html><head><style>.versteckterstil { color: red }</style><title>Titelwort</title></head><body>" +
  "<script>var verstecktesskript = 1;</script><p>Sichtbare Heizkostenabrechnung f&uuml;r Sie.</p>" +
  "<p>Gr&uuml;&szlig;e</p><p>Fern<b>w&auml;rme</b>versorgung</p>" +
  '<a href="https://tracker.example/linkziel">Klick</a><!-- kommentarwort -->' +
  '<img alt="bildbeschreibung" src="https://cdn.example/bild.png"></body></html>';

/** An org whose one mailbox holds the German and English sample mail (written as live sync writes it). */
async function germanAndEnglishMail() {
  const org = uniqueOrg("search-words");
  const box = await objectMailbox(org, "service@stadtwerke.example");
  const withAttachment = mail({ subject: "Unterlagen", has_attachments: 1, sort_at: "2026-03-01T09:00:00.000Z" });
  await box.add(
    [
      mail({
        subject: "Zählerstand März",
        from_name: "Erika Müller",
        from_address: "erika.mueller@stadtwerke-nord.example",
        body: "<p>Bitte den Wasserzähler ablesen.</p>",
        sort_at: "2026-03-01T10:00:00.000Z",
      }),
      mail({ subject: "Zaehlerstand April", sort_at: "2026-03-01T11:00:00.000Z" }),
      mail({ subject: "Straße gesperrt", sort_at: "2026-03-01T12:00:00.000Z" }),
      mail({ subject: "Strasse frei", sort_at: "2026-03-01T13:00:00.000Z" }),
      mail({ subject: "Abschlagszahlung Juni", sort_at: "2026-03-01T14:00:00.000Z" }),
      mail({
        subject: "Report one",
        body: "The meter reading was taken on Monday.",
        body_content_type: "text",
        sort_at: "2026-03-01T15:00:00.000Z",
      }),
      mail({
        subject: "Report two",
        body: "<p>Reading the meter twice is not needed.</p>",
        sort_at: "2026-03-01T16:00:00.000Z",
      }),
      mail({
        subject: "Mieterwechsel",
        to: JSON.stringify([{ name: "Hausverwaltung Schmidt", address: "verwaltung@schmidt-immobilien.example" }]),
        cc: JSON.stringify([{ address: "buchhaltung@contoso.example" }]),
        sort_at: "2026-03-01T17:00:00.000Z",
      }),
      mail({ subject: "Newsletter", body: HTML_BODY, sort_at: "2026-03-01T18:00:00.000Z" }),
      withAttachment,
    ],
    [attachmentRecord(withAttachment, { name: "Vertragsunterlagen_2026.pdf" })],
  );
  return org;
}

describe("search words: German and English mail", () => {
  it("ignores diacritics and case: zahlerstand, Zählerstand and ZÄHLERSTAND find Zählerstand", async () => {
    const org = await germanAndEnglishMail();
    for (const q of ["zahlerstand", "Zählerstand", "ZÄHLERSTAND", "zähler", "ZAHLER"]) {
      expect(await subjectsFound(org, q), q).toEqual(["Zählerstand März"]);
    }
    // The typed form decomposed (a + U+0308, as macOS keyboards send it) is the same word.
    expect(await subjectsFound(org, "Za\u0308hlerstand")).toEqual(["Zählerstand März"]);
  });

  it("folds only diacritics: ä is not ae, so zaehlerstand and Zählerstand find different mail (documented)", async () => {
    const org = await germanAndEnglishMail();
    expect(await subjectsFound(org, "zaehlerstand")).toEqual(["Zaehlerstand April"]);
    expect(await subjectsFound(org, "zählerstand")).not.toContain("Zaehlerstand April");
  });

  it("folds ß to ss both ways: strasse, straße, STRASSE and STRAẞE find Straße and Strasse", async () => {
    const org = await germanAndEnglishMail();
    for (const q of ["strasse", "straße", "STRASSE", "STRAẞE", "Stra"]) {
      expect(await subjectsFound(org, q), q).toEqual(["Strasse frei", "Straße gesperrt"]);
    }
  });

  it("finds a compound word by its start (abschlag), not by a part inside it (zahlung: the documented limit)", async () => {
    const org = await germanAndEnglishMail();
    expect(await subjectsFound(org, "abschlag")).toEqual(["Abschlagszahlung Juni"]);
    expect(await subjectsFound(org, "Abschlagszahlung")).toEqual(["Abschlagszahlung Juni"]);
    expect(await subjectsFound(org, "zahlung")).toEqual([]);
    expect(await subjectsFound(org, "abschlagszahlungen")).toEqual([]);
  });

  it("requires every word (AND), in any field", async () => {
    const org = await germanAndEnglishMail();
    expect(await subjectsFound(org, "zählerstand märz")).toEqual(["Zählerstand März"]);
    expect(await subjectsFound(org, "zählerstand juni")).toEqual([]);
    // One word in the subject, one in the sender, one in the body.
    expect(await subjectsFound(org, "märz erika wasserzähler")).toEqual(["Zählerstand März"]);
    expect(await subjectsFound(org, "märz erika wasserzähler schmidt")).toEqual([]);
  });

  it("matches a quoted phrase exactly, in its order; unquoted words in any order", async () => {
    const org = await germanAndEnglishMail();
    expect(await subjectsFound(org, '"meter reading"')).toEqual(["Report one"]);
    expect(await subjectsFound(org, '"reading meter"')).toEqual([]);
    expect(await subjectsFound(org, "reading meter")).toEqual(["Report one", "Report two"]);
    // A phrase's words are whole words: no prefix inside quotes.
    expect(await subjectsFound(org, '"meter read"')).toEqual([]);
    expect(await subjectsFound(org, '"the meter"')).toEqual(["Report one", "Report two"]);
    expect(await subjectsFound(org, '"meter twice"')).toEqual(["Report two"]);
  });

  it("matches the subject, the sender's name and address, recipients' names and addresses (to and cc)", async () => {
    const org = await germanAndEnglishMail();
    expect(await subjectsFound(org, "Mieterwechsel")).toEqual(["Mieterwechsel"]);
    expect(await subjectsFound(org, "Müller")).toEqual(["Zählerstand März"]);
    expect(await subjectsFound(org, "muller")).toEqual(["Zählerstand März"]);
    expect(await subjectsFound(org, "erika.mueller@stadtwerke-nord.example")).toEqual(["Zählerstand März"]);
    expect(await subjectsFound(org, "stadtwerke-nord")).toEqual(["Zählerstand März"]);
    expect(await subjectsFound(org, "Hausverwaltung")).toEqual(["Mieterwechsel"]);
    expect(await subjectsFound(org, "verwaltung@schmidt-immobilien.example")).toEqual(["Mieterwechsel"]);
    expect(await subjectsFound(org, "buchhaltung")).toEqual(["Mieterwechsel"]);
  });

  it("matches the body's visible text, never what is inside <script>, <style>, <title>, attributes or comments", async () => {
    const org = await germanAndEnglishMail();
    expect(await subjectsFound(org, "Heizkostenabrechnung")).toEqual(["Newsletter"]);
    expect(await subjectsFound(org, "klick")).toEqual(["Newsletter"]);
    // Entities are text: "Gr&uuml;&szlig;e" is "Grüße", found as grüße and as grusse.
    expect(await subjectsFound(org, "grüße")).toEqual(["Newsletter"]);
    expect(await subjectsFound(org, "GRUSSE")).toEqual(["Newsletter"]);
    // Inline markup inside a word leaves it one word.
    expect(await subjectsFound(org, "fernwärmeversorgung")).toEqual(["Newsletter"]);
    for (const hidden of ["verstecktesskript", "versteckterstil", "titelwort", "linkziel", "kommentarwort"]) {
      expect(await subjectsFound(org, hidden), hidden).toEqual([]);
    }
    for (const markup of ["script", "style", "href", "html"]) {
      expect(await subjectsFound(org, markup), markup).toEqual([]);
    }
  });

  it("matches attachment names", async () => {
    const org = await germanAndEnglishMail();
    expect(await subjectsFound(org, "Vertragsunterlagen")).toEqual(["Unterlagen"]);
    expect(await subjectsFound(org, "vertragsunterlagen 2026 pdf")).toEqual(["Unterlagen"]);
    expect(await subjectsFound(org, "Vertragsunterlagen_2026.pdf")).toEqual(["Unterlagen"]);
  });

  it("answers the listing's shape: newest first, no next cursor, mailbox and inbox set, body content null", async () => {
    const org = await germanAndEnglishMail();
    const page = await search(org, { q: "strasse" });
    expect(page.messages.map((m) => m.subject)).toEqual(["Strasse frei", "Straße gesperrt"]);
    expect(page.next_cursor).toBeNull();
    for (const m of page.messages) {
      expect(m).toMatchObject({ mailbox: "service@stadtwerke.example", shared_inbox_id: "default" });
      expect(m.body.content).toBeNull();
    }
  });
});

describe("search words: how much of a body is searched (the first 32,000 characters of its text)", () => {
  it("a text body: a word ending at character 32,000 is found, one starting after it is not", async () => {
    const org = uniqueOrg("search-bound");
    const box = await objectMailbox(org, "bound@contoso.example");
    await box.add([
      mail({ subject: "inside", body: `${"a".repeat(31_990)} grenzwort`, body_content_type: "text" }),
      mail({ subject: "outside", body: `${"b".repeat(31_999)} jenseitswort`, body_content_type: "text" }),
    ]);
    expect(`${"a".repeat(31_990)} grenzwort`).toHaveLength(32_000);
    expect(await subjectsFound(org, "grenzwort")).toEqual(["inside"]);
    expect(await subjectsFound(org, "jenseitswort")).toEqual([]);
  });

  // The bound is 32,000 characters of text, whatever the markup around them or the escapes they take in HTML.
  it("an HTML body's word at text character ~24,000 is found even when its text holds many '&'", async () => {
    const org = uniqueOrg("search-bound");
    const box = await objectMailbox(org, "bound@contoso.example");
    const body = `<p>${"&amp; ".repeat(12_000)}Zielwort</p>`;
    await box.add([mail({ subject: "ampersands", body })]);
    // The text a reader sees: "& " 12,000 times, then the word: 24,008 characters, within the documented 32,000.
    expect(`${"& ".repeat(12_000)}Zielwort`).toHaveLength(24_008);
    // The failure says how much of its text the writers index (searchableBody).
    const indexed = `searchableBody kept ${searchableBody(body, "html").length} characters of 24,008`;
    expect(await subjectsFound(org, "zielwort"), indexed).toEqual(["ampersands"]);
  });

  it("an HTML body's word at text character ~24,000 is found even when its text is in many short blocks", async () => {
    const org = uniqueOrg("search-bound");
    const box = await objectMailbox(org, "bound@contoso.example");
    const body = `${"<div>abc</div>".repeat(6_000)}<div>Blockziel</div>`;
    await box.add([mail({ subject: "blocks", body })]);
    // "abc\n" 6,000 times, then the word: 24,009 characters of text.
    const indexed = `searchableBody kept ${searchableBody(body, "html").length} characters of 24,009`;
    expect(await subjectsFound(org, "blockziel"), indexed).toEqual(["blocks"]);
  });
});

describe("search words through the real import (fake Graph, queue, mailbox object)", () => {
  it("finds imported mail by subject, sender, recipient, visible HTML text and attachment name; not by script/style", async () => {
    const h = harness();
    const { org, email } = await connectedMailbox(h.api, { name: "search-import", connect: false });
    const received = new Date(Date.now() - 5 * 60_000).toISOString();
    const letter = await addFakeGraphMail(email, {
      subject: "Abschlagszahlung für die Straße",
      from: "Erika.Mueller@Stadtwerke-Nord.example",
      to: ["hausverwaltung@schmidt.example"],
      body_html: HTML_BODY,
      received,
    });
    await addFakeGraphMail(email, { subject: "Anderes Thema", body_html: "<p>Nichts davon</p>", received });
    await addAttachments(email, letter.id, [{ name: "Zählerfoto März.pdf", size: 2_000 }]);
    await syncAll(h, org, email);

    const only = ["Abschlagszahlung für die Straße"];
    const found = (q: string) => subjectsFound(org, q, "default", h.api as never);
    for (const q of ["abschlag", "strasse", "erika.mueller", "stadtwerke-nord.example", "hausverwaltung"]) {
      expect(await found(q), q).toEqual(only);
    }
    for (const q of ["heizkostenabrechnung", "grüße", "zahlerfoto", "Zählerfoto März.pdf", "zählerfoto pdf"]) {
      expect(await found(q), q).toEqual(only);
    }
    for (const q of ["verstecktesskript", "versteckterstil", "linkziel", "kommentarwort", "zahlung"]) {
      expect(await found(q), q).toEqual([]);
    }
    expect(await found("nichts")).toEqual(["Anderes Thema"]);
    const [hit] = (await search(org, { q: "abschlag" }, "default", h.api as never)).messages;
    expect(hit).toMatchObject({ graph_id: letter.id, folder: "inbox", mailbox: email });
  });
});
