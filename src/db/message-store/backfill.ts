import { forEachConcurrently } from "@/lib/concurrency";
import { appConfig } from "@/lib/config";
import { logEvent } from "@/lib/log";
import { type LegacyBodyRow, migrateLegacyBody } from "./bodies";

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

// Any order drains them; the partial index (imported_messages_legacy_body_idx) answers without a table scan.
const LEGACY_ROWS = `SELECT id, org_id, mailbox, graph_id, body_content_type, body, graph_modified_at
  FROM imported_messages WHERE body_store IS NULL AND body IS NOT NULL LIMIT ?1`;

interface LegacyRow {
  id: string;
  org_id: string;
  mailbox: string;
  graph_id: string;
  body_content_type: string | null;
  body: string;
  graph_modified_at: string | null;
}

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
  env: { DB: D1Database; MESSAGE_STORE: R2Bucket },
  limit = appConfig(env).MESSAGE_STORE_BACKFILL_BATCH,
): Promise<BackfillResult> {
  const { results } = await env.DB.prepare(LEGACY_ROWS).bind(limit).all<LegacyRow>();
  const result: BackfillResult = { moved: 0, skipped: 0, failed: 0 };
  await forEachConcurrently(results, CONCURRENCY, async (row) => {
    try {
      if (await migrateLegacyBody(env.DB, env.MESSAGE_STORE, toLegacy(row))) result.moved++;
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
