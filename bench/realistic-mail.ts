/**
 * Realistic mail for the benches that fill message stores (bench/mailbox-object.bench.ts,
 * bench/mailbox-move.bench.ts): German subjects, previews and names with umlauts, Graph-length ids, all from a
 * seeded generator so every run writes the same texts.
 */

/** Deterministic randomness (mulberry32), so every run writes the same texts. */
export function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export type Rand = ReturnType<typeof random>;
export const pick = <T>(rand: Rand, list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
export const b64 = (rand: Rand, length: number) => Array.from({ length }, () => B64[Math.floor(rand() * 64)]).join("");

const FIRST = [
  "Jürgen",
  "Käthe",
  "Björn",
  "Sören",
  "Jörg",
  "Günther",
  "Bärbel",
  "Uwe",
  "Märta",
  "Lena",
  "Özlem",
  "Tobias",
];
const LAST = ["Müller", "Schäfer", "Köhler", "Böhm", "Krüger", "Weiß", "Hübner", "Große", "Jäger", "Schröder", "Fuchs"];
const DOMAINS = ["gmx.de", "web.de", "t-online.de", "posteo.de", "freenet.de", "müller-bau.de"];
const TOPICS = [
  "Rückfrage zu Ihrer Abschlagszahlung",
  "Zählerstand für die Jahresabrechnung",
  "Änderung der Bankverbindung",
  "Kündigung zum nächstmöglichen Termin",
  "Umzug: Anmeldung an der neuen Adresse",
  "Beschwerde über die Nachzahlung",
  "Bestätigung Ihres Auftrags",
  "Fragen zur Preiserhöhung ab März",
  "Störung der Wärmeversorgung",
  "Ihr Angebot für die Photovoltaikanlage",
];
const SENTENCES = [
  "Sehr geehrte Damen und Herren, leider ist mir bei der letzten Abrechnung ein Fehler aufgefallen.",
  "Könnten Sie mir bitte mitteilen, wann die Gutschrift auf meinem Konto eingeht?",
  "Der Zählerstand vom 31. Dezember betrug 45.873 kWh, das Foto hänge ich an.",
  "Ich möchte außerdem meine Abschlagszahlung ab dem nächsten Monat auf 87 € anpassen.",
  "Für Rückfragen erreichen Sie mich werktags zwischen 9 und 17 Uhr unter der bekannten Nummer.",
  "Bitte bestätigen Sie mir den Eingang dieser Nachricht kurz schriftlich.",
  "Wir ziehen zum 1. Mai in die Grünstraße 12 in Düsseldorf, bitte übernehmen Sie den Vertrag.",
  "Vielen Dank für Ihre schnelle Rückmeldung, die Unterlagen schicke ich Ihnen gern nochmals zu.",
  "Mit freundlichen Grüßen aus München und ein schönes Wochenende.",
  "Die Heizung fällt seit Dienstag immer wieder aus, das Gerät zeigt Störung F28 an.",
];

/** ~60 characters: a topic, a month and a contract number. */
export function subject(rand: Rand) {
  const prefix = rand() < 0.35 ? "AW: " : "";
  const months = ["Jänner", "Februar", "März", "April", "Mai", "Juni", "Juli", "Oktober", "Dezember"];
  return `${prefix}${pick(rand, TOPICS)} ${pick(rand, months)} – Vertrag ${Math.floor(rand() * 9e6 + 1e6)}`.slice(
    0,
    64,
  );
}

/** Graph's bodyPreview: up to 255 characters of the body's text (`length`: fewer). */
export function preview(rand: Rand, length = 255) {
  let text = "";
  while (text.length < length) text += `${pick(rand, SENTENCES)} `;
  return text.slice(0, length);
}

export function person(rand: Rand) {
  const first = pick(rand, FIRST);
  const last = pick(rand, LAST);
  const local = `${first}.${last}`
    .toLowerCase()
    .replace(/ä/g, "ae")
    .replace(/ö/g, "oe")
    .replace(/ü/g, "ue")
    .replace(/ß/g, "ss");
  return { address: `${local}@${pick(rand, DOMAINS)}`, name: `${first} ${last}` };
}
