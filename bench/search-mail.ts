import { foldForSearch } from "@/shared/search-query";
import { SEARCH_BODY_MAX_CHARS } from "@/shared/search-text";
import { pick, type Rand, random } from "./realistic-mail";

/**
 * Body text for bench/search.bench.ts: what a utility's customer service receives and sends (German, some
 * English), as `searchableBody` hands it to the index (plain text, ß folded to "ss", at most
 * SEARCH_BODY_MAX_CHARS). Word frequencies follow Zipf's law (rank k drawn with p ∝ 1/k) over a vocabulary of
 * function words, the trade's nouns, verbs and adjectives, German compounds made of them and 20,000 pseudo-words
 * (the long tail of real German mail), names, streets and towns; sentences carry the numbers real mail is full of
 * (contract, customer and meter numbers, amounts, dates, IBANs), each nearly unique, so the index holds many
 * one-off terms as a real one does. Rare words appear in about one message in RARE_EVERY each (RARE_TERM: the
 * bench's rare query). All from the caller's seeded generator: every run indexes the same text.
 */

/** A list written as one string, split at `separator`. */
const words = (list: string, separator = " ") => list.split(separator);

const DE_FUNCTION = words(
  "der die und ich Sie das ist nicht zu den mit für ein auf wir es eine dass von bitte im auch habe " +
    "mir dem Ihnen noch wie an bei aus mich haben wurde schon nach oder aber Ihre meine wenn kann " +
    "sich als nur so um werden sind war hat uns können würde vom zum zur über unter seit bis da " +
    "dieser diese bereits jedoch leider gerne außerdem deshalb sowie bzw ggf dafür darüber hierzu " +
    "wieder immer heute morgen gestern letzten nächsten",
);
const DE_WORDS = words(
  "Abrechnung Jahresabrechnung Abschlag Abschlagszahlung Abschläge Zählerstand Zählerstände " +
    "Zählernummer Zähler Vertrag Vertragsnummer Kundennummer Tarif Grundversorgung Preiserhöhung " +
    "Preisanpassung Kündigung Umzug Einzug Auszug Lastschrift Bankverbindung Gutschrift Nachzahlung " +
    "Rechnung Mahnung Sperrandrohung Ratenzahlung Stundung Fernwärme Wärmeversorgung Heizung " +
    "Photovoltaikanlage Einspeisevergütung Wallbox Netzbetreiber Hausanschluss Baustrom Zählerwechsel " +
    "Ablesung Schätzung Verbrauch Kilowattstunden Kubikmeter Störung Rückruf Termin Monteur " +
    "Beschwerde Widerspruch Bonus Ökostrom Erdgas Strom Wasser Arbeitspreis Grundpreis Mehrwertsteuer " +
    "Entlastungsbetrag Preisbremse Kundenservice Kundenkonto Onlineportal Passwort Anmeldung " +
    "Abmeldung Wohnung Vermieter Mieter Eigentümer Hausverwaltung Nebenkosten Guthaben Erstattung " +
    "Überweisung Konto Betrag Monat Jahr Woche Datum Frist Schreiben Brief Unterlagen Foto Anhang " +
    "Nachricht Antwort Rückmeldung Bestätigung Auftrag Angebot Anfrage Mitteilung Information Hinweis " +
    "Fehler Problem Lösung Ansprechpartner Sachbearbeiter Abteilung Telefon Nummer Adresse Straße " +
    "Hausnummer Postleitzahl möchte möchten bitten mitteilen überweisen erhalten zugeschickt " +
    "angepasst gekündigt umgezogen abgelesen bestätigen prüfen erstatten zurückrufen senden schicken " +
    "zahlen bezahlt ändern geändert erreichen erreicht warten gewartet verstehen erklären beantragen " +
    "beantragt eingegangen vereinbaren verschieben abbuchen abgebucht freundlich dringend höher " +
    "niedriger fehlerhaft unverständlich monatlich jährlich neue neuen alten aktuellen korrekt falsch " +
    "vollständig schriftlich telefonisch persönlich schnell freundlichen Grüßen geehrte Damen Herren " +
    "Dank vielen herzlichen Frau Herr",
);
const EN_WORDS = words(
  "the and to I you of a my is for in please your we on have with this it be not that would could " +
    "can from as at since regarding contract meter reading invoice bill payment instalment direct " +
    "debit refund moving address account customer number tariff price increase electricity gas " +
    "heating outage appointment technician complaint cancel cancellation confirm confirmation " +
    "attached photo month year amount bank details change new old apartment landlord tenant thank " +
    "thanks kind regards dear team sir madam unfortunately still already received sent call back asap " +
    "urgent help understand explain higher wrong",
);
/** Compound parts: "Strom" + "zählerstand", "Abschlags" + "änderung" ... (Zipf-ranked like any other word). */
const HEADS = words(
  "Strom Gas Wasser Wärme Fernwärme Heiz Zähler Abschlags Jahres Monats Kunden Vertrags Preis Netz " +
    "Miet Haus Wohnungs Konto Zahlungs Lastschrift Kündigungs Umzugs Service Ablese Verbrauchs " +
    "Energie Solar Speicher Bonus Steuer Rechnungs Anschluss Liefer Einspeise Grund Arbeits Nach Rück " +
    "Zwischen Schluss",
);
const TAILS = words(
  "zähler stand abrechnung zahlung vertrag nummer kosten preis tarif anpassung erhöhung änderung " +
    "bestätigung schreiben frist termin ablesung wechsel störung versorgung anschluss anbieter " +
    "gutschrift forderung erstattung mahnung konto daten portal adresse lieferung menge verbrauch " +
    "betrag übersicht anfrage beschwerde vollmacht unterlagen zuschlag",
);
const FIRST = words(
  "Jürgen Käthe Björn Sören Jörg Günther Bärbel Uwe Märta Lena Özlem Tobias Heinz Ursula Hans-Peter " +
    "Renée Małgorzata Dragan Ayşe Mehmet Sabine Klaus Jörn",
);
const LAST = words(
  "Müller Schäfer Köhler Böhm Krüger Weiß Hübner Große Jäger Schröder Fuchs Meißner Strauß Nußbaum " +
    "Lüdenscheidt Kowalczyk Yılmaz Đorđević Wäschle Oßwald",
);
const STREETS = words(
  "Grünstraße|Hauptstraße|Am Mühlbach|Lindenweg|Schloßallee|Königsstraße|Gartenstraße|Bahnhofstraße|" +
    "Fließstraße|Über der Höhe|Mühlenweg|Brückenstraße|Große Bäckerstraße",
  "|",
);
const TOWNS = words(
  "Düsseldorf München Köln Nürnberg Würzburg Lörrach Gößweinstein Fürth Tübingen Lüneburg Görlitz " +
    "Saarbrücken Straßburg Zürich Österreich Mönchengladbach",
);
/**
 * Words of the trade a message carries rarely: each in about one message in RARE_EVERY. The bench searches for
 * RARE_TERM.
 */
const RARE = words(
  "Schornsteinfegerquittung Mieterstromzuschlag Blockheizkraftwerk " +
    "Zwischenablesung Härtefallfonds Netzentgeltbefreiung Wärmepumpentarif Kaskadenschaltung " +
    "Sperrkassierung Nachtspeicherheizung Zählerplombe Rundsteuerempfänger Balkonkraftwerk " +
    "Grundbuchauszug Erbschein Betreuungsvollmacht Insolvenzverwalter Überspannungsschaden Rohrbruch",
);
export const RARE_TERM = "Legionellenprüfung";
export const RARE_EVERY = 1_000;

/** A rank in 0..n-1 drawn with p(k) ∝ 1/(k+1) (Zipf, exponent ~1): cheap, as k = floor((n+1)^u) - 1. */
const zipf = (rand: Rand, n: number) => Math.min(n - 1, Math.floor((n + 1) ** rand()) - 1);

const COMPOUNDS = HEADS.flatMap((head) => TAILS.map((tail) => `${head}${tail}`));
const SYLLABLES = words(
  "ber gen hau sch ter lin mül kö rä fü ßen dorf bach au ei ung keit heit lich isch stra wer ka mo ni ta sel " +
    "grü bö spä tz ck ach eck an zu ver be ent",
);
/**
 * The long tail of a real mailbox's words (place and product names, surnames, inflections, typos): pseudo-words of
 * 2-4 syllables, from a generator of their own so the vocabulary is the same whatever the caller's seed.
 */
const TAIL_WORDS = (() => {
  const rand = random(0x5eed);
  return Array.from({ length: 20_000 }, () =>
    Array.from({ length: 2 + Math.floor(rand() * 3) }, () => pick(rand, SYLLABLES)).join(""),
  );
})();
/** The German vocabulary by rank: the trade's words, compounds (shuffled deterministically), the long tail. */
const DE_RANKED = [
  ...DE_WORDS,
  ...COMPOUNDS.map((w, i) => [w, (i * 7919) % COMPOUNDS.length] as const)
    .sort((a, b) => a[1] - b[1])
    .map(([w]) => w),
  ...TAIL_WORDS,
];

const digits = (rand: Rand, n: number) => {
  let s = "";
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 10);
  return s;
};
const date = (rand: Rand) =>
  `${1 + Math.floor(rand() * 28)}.${1 + Math.floor(rand() * 12)}.${2022 + Math.floor(rand() * 4)}`;

/** Something with numbers: most of these tokens are unique to their message. */
function numberPhrase(rand: Rand, english: boolean): string {
  switch (Math.floor(rand() * 8)) {
    case 0:
      return english ? `contract no. ${digits(rand, 7)}` : `Vertragsnummer ${digits(rand, 7)}`;
    case 1:
      return english ? `customer number ${digits(rand, 9)}` : `Kundennummer ${digits(rand, 9)}`;
    case 2:
      return `${english ? "meter" : "Zähler"} 1ESY${digits(rand, 10)}`;
    case 3:
      return `${digits(rand, 1 + Math.floor(rand() * 3))},${digits(rand, 2)} €`;
    case 4:
      return `${english ? "on" : "am"} ${date(rand)}`;
    case 5:
      return `DE${digits(rand, 2)} ${digits(rand, 4)} ${digits(rand, 4)} ${digits(rand, 4)} ${digits(rand, 4)} ${digits(rand, 2)}`;
    case 6:
      return `${digits(rand, 5)} kWh`;
    default:
      return `${pick(rand, STREETS)} ${1 + Math.floor(rand() * 120)}, ${digits(rand, 5)} ${pick(rand, TOWNS)}`;
  }
}

/** One sentence of 5-19 words. */
function sentence(rand: Rand, english: boolean): string {
  const length = 5 + Math.floor(rand() * 15);
  const words: string[] = [];
  for (let i = 0; i < length; i++) {
    const r = rand();
    if (english) {
      if (r < 0.04) words.push(numberPhrase(rand, true));
      else if (r < 0.08)
        words.push(pick(rand, DE_WORDS)); // German terms in English mail
      else words.push(EN_WORDS[zipf(rand, EN_WORDS.length)] as string);
    } else if (r < 0.45) words.push(DE_FUNCTION[zipf(rand, DE_FUNCTION.length)] as string);
    else if (r < 0.9) words.push(DE_RANKED[zipf(rand, DE_RANKED.length)] as string);
    else if (r < 0.95) words.push(numberPhrase(rand, false));
    else if (r < 0.975) words.push(`${pick(rand, FIRST)} ${pick(rand, LAST)}`);
    else words.push(pick(rand, TOWNS));
  }
  const text = words.join(" ");
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}${rand() < 0.15 ? "?" : "."}`;
}

/**
 * A message's body text of about `words` words, as searchableBody answers it (ß folded, bounded); English for
 * `english`. Paragraphs, a greeting and a signature; a reply quotes an earlier message below its own text.
 */
export function bodyText(rand: Rand, words: number, english: boolean, reply: boolean): string {
  const name = `${pick(rand, FIRST)} ${pick(rand, LAST)}`;
  const parts: string[] = [english ? "Dear Sir or Madam," : "Sehr geehrte Damen und Herren,"];
  let count = 6;
  const own = reply ? Math.max(40, Math.floor(words * (0.2 + rand() * 0.4))) : words;
  const paragraph = () => {
    const sentences: string[] = [];
    for (let s = 0, n = 2 + Math.floor(rand() * 5); s < n; s++) {
      const text = sentence(rand, english);
      sentences.push(text);
      count += text.split(" ").length;
    }
    return sentences.join(" ");
  };
  while (count < own) parts.push(paragraph());
  if (rand() < 1 / RARE_EVERY) parts.push(`Es geht um die ${RARE_TERM}.`);
  if (rand() < RARE.length / RARE_EVERY) parts.push(`Betrifft: ${pick(rand, RARE)}.`);
  parts.push(english ? "Kind regards" : "Mit freundlichen Grüßen", name, `${pick(rand, STREETS)} ${digits(rand, 2)}`);
  parts.push(`${digits(rand, 5)} ${pick(rand, TOWNS)}`, `Tel. 0${digits(rand, 3)} ${digits(rand, 7)}`);
  if (reply) {
    parts.push(
      "-----Ursprüngliche Nachricht-----",
      `Von: Kundenservice Stadtwerke Süd <service@stadtwerke-sued.example> Gesendet: ${date(rand)}`,
    );
    while (count < words) parts.push(`> ${paragraph()}`);
  }
  return foldForSearch(parts.join("\n")).slice(0, SEARCH_BODY_MAX_CHARS);
}

/**
 * Words in a body: a few hundred to a few thousand, most mail short (median ~400, mean ~720, 4% over 2,500):
 * 150 x 20^(u^1.6), u uniform.
 */
export const bodyWords = (rand: Rand) => Math.round(150 * 20 ** (rand() ** 1.6));

/** A name for an attachment as customers send them. */
export function attachmentName(rand: Rand): string {
  const stem = pick(rand, [
    "Zählerstand",
    "Zählerfoto",
    "Rechnung",
    "Kündigungsbestätigung",
    "Mietvertrag",
    "Übergabeprotokoll",
    "Scan",
    "IMG",
    "Vollmacht",
    "Kontoauszug",
  ]);
  return `${stem}_${digits(rand, 4 + Math.floor(rand() * 4))}.${pick(rand, ["pdf", "jpg", "png", "pdf", "docx"])}`;
}
