/**
 * The domain operations as the HTTP handlers call them: each takes the services and the caller, applies the rules of the modules beside this file and returns the response body.
 */
import type { DnsResolver } from "@/clients/dns";
import type { Database } from "@/db/client";
import { kickWebhookDeliveries } from "@/db/outbox";
import type { DomainVerificationRow } from "@/db/schema";
import type { Services } from "@/lib/services";
import type { AuthContext } from "@/lib/types";
import type { DomainSettingBody } from "@/shared/domain-records";
import { addDomain } from "./add";
import { type DomainConfig, domainConfig, resolverFor } from "./config";
import { deleteDomain } from "./delete";
import { findDomain, listDomains } from "./domain-verifications.store";
import { lookupDomainName } from "./input";
import { toDomainResponse } from "./response";
import type { DomainEntry } from "./state";
import { verifyDomainNameServers, verifyDomainRecords } from "./verify";

/** getDomains: the org's domains, oldest first. */
export async function listOrgDomains(services: Services, auth: AuthContext): Promise<DomainSettingBody[]> {
  const config = domainConfig(services);
  const entries = await listDomains(services.db, auth.orgId);
  return entries.map((entry) => toDomainResponse(entry, config));
}

/** addDomain: the added domain, `pending`, with the records to publish. */
export async function addOrgDomain(services: Services, auth: AuthContext, input: string | undefined) {
  const config = domainConfig(services);
  const entry = await addDomain(services.db, auth.orgId, auth.userId ?? null, input, config);
  return toDomainResponse(entry, config);
}

/** deleteDomain: 409 while addresses use the domain. */
export async function deleteOrgDomain(services: Services, auth: AuthContext, input: string | undefined): Promise<void> {
  await deleteDomain(services.db, auth.orgId, lookupDomainName(input));
  await kickWebhookDeliveries(services, auth.orgId);
}

type DomainCheck = (
  db: Database,
  entry: DomainEntry,
  config: DomainConfig,
  resolver: DnsResolver,
) => Promise<DomainVerificationRow>;

/** Runs `check` on the org's domain named by `input` and answers the domain with the stored outcome. */
async function checkOrgDomain(services: Services, auth: AuthContext, input: string | undefined, check: DomainCheck) {
  const domain = lookupDomainName(input);
  const config = domainConfig(services);
  const { db } = services;
  const entry = await findDomain(db, auth.orgId, domain);
  const state = await check(db, entry, config, resolverFor(config));
  if (state.status !== entry.state.status) await kickWebhookDeliveries(services, auth.orgId);
  return toDomainResponse({ ...entry, state }, config);
}

/** verifyDomain: every record looked up and judged, the domain's status updated. */
export const verifyOrgDomain = (services: Services, auth: AuthContext, input: string | undefined) =>
  checkOrgDomain(services, auth, input, verifyDomainRecords);

/** verifyNameServers: the domain's NS set compared with the platform name servers. */
export const verifyOrgNameServers = (services: Services, auth: AuthContext, input: string | undefined) =>
  checkOrgDomain(services, auth, input, verifyDomainNameServers);
export { domainSettings } from "./domain-settings";
