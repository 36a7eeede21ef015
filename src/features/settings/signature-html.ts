import type { Database } from "@/db/client";
import type { SettingRow } from "@/db/schema";
import { writeBackSignatureStatement } from "@/db/stores/settings.store";
import { logEvent } from "@/lib/log";
import { sanitizerVersion, sanitizeSignatureHtml } from "@/shared/html-sanitizer";
import { SIGNATURE_POLICY } from "@/shared/html-sanitizer/policies";

/**
 * Signature markup is sanitized once, when it is written, and stored with the version of the sanitizer
 * that produced it. Reads serve it as stored; only a row of another version (stored by an earlier
 * sanitizer, or before versions were kept) is sanitized again, and then written back so it is the last
 * time (the read path, and a bounded batch in the hourly cron: signature-refresh.ts).
 */

/** Bump when the signature policy's checks change in a way its fingerprint cannot see (see version.ts). */
const SIGNATURE_SANITIZER_REVISION = 1;

/** Stored with every signature the current sanitizer wrote. */
export const SIGNATURE_SANITIZER_VERSION = sanitizerVersion(
  "signature",
  SIGNATURE_POLICY,
  SIGNATURE_SANITIZER_REVISION,
);

/** Markup as a signature stores it; markup that sanitizes to nothing but whitespace is no markup. */
export function cleanSignatureMarkup(text: string | null | undefined): string | null {
  return text?.trim() ? sanitizeSignatureHtml(text).trim() || null : null;
}

/** A signature whose stored markup another sanitizer (or an unknown one) produced. */
export const isStaleSignature = (row: SettingRow): boolean =>
  row.type === "signature" && row.sanitizerVersion !== SIGNATURE_SANITIZER_VERSION;

/** The row with its markup sanitized by the current sanitizer (in memory only). */
export function resanitizedSignature(row: SettingRow): SettingRow {
  return {
    ...row,
    html: cleanSignatureMarkup(row.html),
    value: cleanSignatureMarkup(row.value),
    sanitizerVersion: SIGNATURE_SANITIZER_VERSION,
  };
}

/**
 * The rows with every stale signature among them re-sanitized and written back (one batch), so each
 * stale row costs the sanitizer once. A failed write-back is logged and the read still answers: the
 * markup served is the re-sanitized one either way.
 */
export async function refreshStaleSignatures(db: Database, rows: SettingRow[]): Promise<SettingRow[]> {
  const stale = rows.filter(isStaleSignature);
  if (stale.length === 0) return rows;
  const fresh = new Map(stale.map((row) => [row.id, resanitizedSignature(row)]));
  const [first, ...rest] = stale.map((row) => writeBackSignatureStatement(db, row, fresh.get(row.id) as SettingRow));
  try {
    if (first) await db.batch([first, ...rest]);
  } catch (err) {
    logEvent("warn", "signature_write_back_failed", {
      orgId: stale[0]?.orgId,
      error: err instanceof Error ? err.name : typeof err,
    });
  }
  return rows.map((row) => fresh.get(row.id) ?? row);
}
