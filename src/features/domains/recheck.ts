import type { DnsResolver } from "@/clients/dns";
import type { Database } from "@/db/client";
import { kickWebhookDeliveries } from "@/db/outbox";
import type { DomainVerificationRow, SettingRow } from "@/db/schema";
import { logEvent } from "@/lib/log";
import type { Services } from "@/lib/services";
import { type DomainConfig, domainConfig, resolverFor } from "./config";
import {
  claimDue,
  ensureState,
  postponeCheck,
  releaseClaim,
  selectDue,
  settingsWithoutState,
} from "./domain-verifications.store";
import { ResolverUnreachableError } from "./errors";
import { verifyDomainRecords } from "./verify";

export interface RecheckSummary {
  checked: number;
  failed: number;
  /** True when the run stopped early because the resolver could not be reached. */
  resolverUnreachable: boolean;
}

const log = (level: "info" | "warn" | "error", message: string, fields: Record<string, unknown> = {}) =>
  logEvent(level, "domain_recheck", { message, ...fields });

/**
 * How long a run holds a domain it is checking: its `next_check_at` is moved this far ahead before the
 * lookups start and replaced by the real next check when the result is saved. A run killed mid-check
 * (CPU or wall-time limit) therefore leaves the domain out of the head of the queue until the claim
 * lapses, and a concurrent run skips it. Well above the longest check (two rounds of DOH_TIMEOUT_MS).
 */
export const RECHECK_CLAIM_MS = 15 * 60_000;

/**
 * The Cron Trigger's work: re-check the domains whose `next_check_at` is due at `scheduledTime`, at most
 * DOMAIN_RECHECK_BATCH_SIZE per run, round-robin across organizations (see selectDue in domain-verifications.store.ts); the rest wait for the
 * next run. Each domain is claimed before it is checked (see RECHECK_CLAIM_MS). Domains added through the
 * legacy settings API get their verification state first. One domain at a time, so a run never has more
 * DoH requests open than one verification (Workers allow six open connections per invocation).
 */
export async function recheckDueDomains(
  services: Services,
  scheduledTime: Date,
  options: { resolver?: DnsResolver; config?: DomainConfig } = {},
): Promise<RecheckSummary> {
  const summary: RecheckSummary = { checked: 0, failed: 0, resolverUnreachable: false };
  let config: DomainConfig;
  try {
    config = options.config ?? domainConfig(services);
  } catch (err) {
    log("error", "domain re-check skipped: configuration", { error: (err as Error).message });
    return summary;
  }
  const resolver = options.resolver ?? resolverFor(config);
  const { db } = services;
  const limit = config.recheckBatchSize;
  await adoptLegacyDomains(db, limit);

  const dueBy = scheduledTime.toISOString();
  const due = await selectDue(db, dueBy, limit);
  for (const row of due) {
    const until = new Date(Math.max(Date.now(), scheduledTime.getTime()) + RECHECK_CLAIM_MS).toISOString();
    const claimed = await claimDue(db, row.state.settingId, dueBy, until);
    if (!claimed) continue; // another run has it, or it was checked since the batch was chosen
    const outcome = await recheckOne(db, row.setting, claimed, config, resolver, scheduledTime);
    if (outcome === "unreachable") {
      // Nothing can be checked now; this domain and the rest stay due for the next run.
      await releaseClaim(db, claimed, row.state.nextCheckAt, until).catch(() => undefined);
      summary.resolverUnreachable = true;
      break;
    }
    summary[outcome]++;
  }
  log("info", "domain re-check done", { ...summary, due: due.length });
  // Status changes wrote webhook events; hand their deliveries to the queue now.
  await kickWebhookDeliveries(services);
  return summary;
}

/** Domains added through the legacy settings API before they had a verification state get one. */
async function adoptLegacyDomains(db: Database, limit: number) {
  // These have no state, so ensureState need not look again.
  for (const setting of await settingsWithoutState(db, limit)) await ensureState(db, setting, null);
}

async function recheckOne(
  db: Database,
  setting: SettingRow,
  claimed: DomainVerificationRow,
  config: DomainConfig,
  resolver: DnsResolver,
  scheduledTime: Date,
): Promise<"checked" | "failed" | "unreachable"> {
  try {
    const state = await ensureState(db, setting, claimed);
    const saved = await verifyDomainRecords(db, { setting, state }, config, resolver);
    if (saved.status !== state.status) {
      const domain = setting.value ?? state.domain;
      log("info", "domain status changed", { orgId: saved.orgId, domain, from: state.status, to: saved.status });
    }
    return "checked";
  } catch (err) {
    if (err instanceof ResolverUnreachableError) {
      log("warn", "domain re-check stopped: resolver unreachable", { error: err.message });
      return "unreachable";
    }
    log("error", "domain re-check failed", { settingId: setting.id, error: (err as Error).message });
    // Push it back a day so one broken row cannot hold the head of the queue.
    await postponeCheck(db, setting.id, new Date(scheduledTime.getTime() + 86_400_000).toISOString()).catch(
      () => undefined,
    );
    return "failed";
  }
}
