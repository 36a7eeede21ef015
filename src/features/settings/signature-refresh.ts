import { listStaleSignatures } from "@/db/stores/settings.store";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import { refreshStaleSignatures, SIGNATURE_SANITIZER_VERSION } from "./signature-html";

/**
 * Signatures stored by an earlier sanitizer one run of the hourly cron sanitizes again. A signature is at
 * most 2 x 64 KiB of markup (tens of milliseconds of sanitizing), so a run stays well inside a cron's
 * CPU budget; reads refresh the stale rows they meet in between.
 */
export const SIGNATURE_REFRESH_BATCH = 50;

/** Re-sanitizes up to `limit` stale signatures (any org) and writes them back; answers how many it found. */
export async function refreshStoredSignatures(
  services: Pick<Services, "db">,
  limit = SIGNATURE_REFRESH_BATCH,
): Promise<number> {
  const { db } = services;
  const rows = await listStaleSignatures(db, SIGNATURE_SANITIZER_VERSION, limit);
  await refreshStaleSignatures(db, rows);
  if (rows.length > 0) logEvent("info", "signature_refresh", { refreshed: rows.length });
  return rows.length;
}
