import { forEachConcurrently } from "@/lib/concurrency";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import { type LegacyBodyRow, migrateLegacyBody } from "./bodies";
import { type LegacyRow, legacyBodyRows } from "./imported-messages.store";

/**
 * The background move of D1 bodies (rows imported before the message store) into R2, run by the hourly
 * cron: up to MESSAGE_STORE_BACKFILL_BATCH rows per run, each moved exactly as a read moves it
 * (`migrateLegacyBody`: the same object keys, objects first, then the row only if it still holds the
 * body that was copied), so a concurrent lazy move, live update or tombstone is never clobbered. The
 * rows are found through a partial index holding only such rows, so a run after the last one is one
 * empty index lookup.
 */

/** Rows moved at once (each is a few R2 calls and one D1 update). */
const CONCURRENCY = 4;

const toLegacy = (r: LegacyRow): LegacyBodyRow => ({
  id: r.id,
  orgId: r.org_id,
  mailbox: r.mailbox,
  graphId: r.graph_id,
  bodyContentType: r.body_content_type,
  body: r.body,
  graphModifiedAt: r.graph_modified_at,
});

export interface BackfillResult {
  /** Rows whose body this run moved to R2. */
  moved: number;
  /** Rows a concurrent write changed first (left to it). */
  skipped: number;
  /** Rows whose move failed (an R2 or D1 error): still D1 rows, tried again next run. */
  failed: number;
}

/** Moves up to `limit` (default MESSAGE_STORE_BACKFILL_BATCH) D1 bodies into the message store. */
export async function backfillLegacyBodies(
  services: Pick<Services, "d1" | "messageContent" | "config">,
  limit = services.config.MESSAGE_STORE_BACKFILL_BATCH,
): Promise<BackfillResult> {
  const results = await legacyBodyRows(services.d1, limit);
  const result: BackfillResult = { moved: 0, skipped: 0, failed: 0 };
  await forEachConcurrently(results, CONCURRENCY, async (row) => {
    try {
      if (await migrateLegacyBody(services.d1, services.messageContent, toLegacy(row))) result.moved++;
      else result.skipped++;
    } catch (err) {
      // One bad row (an R2 hiccup) does not stop the run; it stays a D1 row and is tried next hour.
      result.failed++;
      logEvent("warn", "message_store_backfill_failed", {
        orgId: row.org_id,
        error: err instanceof Error ? err.name : typeof err,
      });
    }
  });
  if (results.length > 0) logEvent("info", "message_store_backfill", { ...result });
  return result;
}
