import { and, asc, eq, isNull, lte } from "drizzle-orm";
import { getDb } from "@/db/client";
import { domainVerifications, settings } from "@/db/schema";
import { logEvent } from "@/lib/log";
import type { AppEnv } from "@/lib/types";
import type { DnsResolver } from "./dns";
import {
  type DomainConfig,
  domainConfig,
  ensureState,
  ResolverUnreachableError,
  resolverFor,
  verifyDomainRecords,
} from "./domains";

export interface RecheckSummary {
  checked: number;
  failed: number;
  /** True when the run stopped early because the resolver could not be reached. */
  resolverUnreachable: boolean;
}

const log = (level: "info" | "warn" | "error", message: string, fields: Record<string, unknown> = {}) =>
  logEvent(level, "domain_recheck", { message, ...fields });

/**
 * The Cron Trigger's work: re-check every domain whose `next_check_at` is due at `scheduledTime`, oldest
 * first, at most DOMAIN_RECHECK_BATCH_SIZE per run (the rest wait for the next run). Domains added through
 * the legacy settings API get their verification state first. One domain at a time, so a run never has
 * more DoH requests open than one verification (Workers allow six open connections per invocation).
 */
export async function recheckDueDomains(
  env: AppEnv,
  scheduledTime: Date,
  options: { resolver?: DnsResolver; config?: DomainConfig } = {},
): Promise<RecheckSummary> {
  const summary: RecheckSummary = { checked: 0, failed: 0, resolverUnreachable: false };
  let config: DomainConfig;
  try {
    config = options.config ?? domainConfig(env);
  } catch (err) {
    log("error", "domain re-check skipped: configuration", { error: (err as Error).message });
    return summary;
  }
  const resolver = options.resolver ?? resolverFor(config);
  const db = getDb(env.DB);
  const limit = config.recheckBatchSize;

  const adopt = await db
    .select({ setting: settings })
    .from(settings)
    .leftJoin(domainVerifications, eq(domainVerifications.settingId, settings.id))
    .where(and(eq(settings.type, "email_domain"), isNull(domainVerifications.settingId)))
    .limit(limit)
    .all();
  // The join found no state for these, so ensureState need not look again.
  for (const { setting } of adopt) await ensureState(db, setting, null);

  const due = await db
    .select({ setting: settings, state: domainVerifications })
    .from(domainVerifications)
    .innerJoin(
      settings,
      and(eq(settings.id, domainVerifications.settingId), eq(settings.orgId, domainVerifications.orgId)),
    )
    .where(lte(domainVerifications.nextCheckAt, scheduledTime.toISOString()))
    .orderBy(asc(domainVerifications.nextCheckAt))
    .limit(limit)
    .all();

  for (const row of due) {
    try {
      const state = await ensureState(db, row.setting, row.state);
      const saved = await verifyDomainRecords(db, { setting: row.setting, state }, config, resolver);
      summary.checked++;
      if (saved.status !== state.status) {
        const domain = row.setting.value ?? state.domain;
        log("info", "domain status changed", { orgId: saved.orgId, domain, from: state.status, to: saved.status });
      }
    } catch (err) {
      if (err instanceof ResolverUnreachableError) {
        // Nothing can be checked now; the due domains stay due for the next run.
        summary.resolverUnreachable = true;
        log("warn", "domain re-check stopped: resolver unreachable", { error: err.message });
        break;
      }
      summary.failed++;
      log("error", "domain re-check failed", { settingId: row.setting.id, error: (err as Error).message });
      // Push it back a day so one broken row cannot hold the head of the queue.
      await db
        .update(domainVerifications)
        .set({ nextCheckAt: new Date(scheduledTime.getTime() + 86_400_000).toISOString() })
        .where(eq(domainVerifications.settingId, row.setting.id))
        .run()
        .catch(() => undefined);
    }
  }
  log("info", "domain re-check done", { ...summary, due: due.length });
  return summary;
}
