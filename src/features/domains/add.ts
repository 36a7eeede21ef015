import type { Database } from "@/db/client";
import type { SettingRow } from "@/db/schema";
import type { DomainConfig } from "./config";
import { insertDomain } from "./domain-verifications.store";
import { newDomainName } from "./input";
import { type DomainEntry, freshState } from "./state";

/**
 * Adds a custom domain, also for the legacy `email_domain` setting. Whether another organization has the
 * name (added or verified) is never revealed here: the one-verified-holder rule is applied by
 * verifyDomain, once the caller has proven control of the domain's DNS with its own token. The per-org
 * cap is part of the INSERT itself, so concurrent adds cannot exceed it.
 */
export async function addDomain(
  db: Database,
  orgId: string,
  userId: string | null,
  input: string | undefined,
  config: DomainConfig,
  /** Name and additional properties, when the domain comes in as a legacy `email_domain` setting. */
  extras: { name?: string | null; extra?: Record<string, unknown> } = {},
): Promise<DomainEntry> {
  const domain = newDomainName(input, config.platformDomain);
  const now = new Date();
  const iso = now.toISOString();
  const setting: SettingRow = {
    id: crypto.randomUUID(),
    orgId,
    type: "email_domain",
    name: extras.name ?? null,
    value: domain,
    html: null,
    uniqueKey: domain,
    extra: extras.extra ?? {},
    sanitizerVersion: null,
    createdAt: iso,
    updatedAt: iso,
    createdBy: userId,
    updatedBy: userId,
  };
  return insertDomain(db, { setting, state: freshState(setting, now) }, config.maxDomainsPerOrg);
}
