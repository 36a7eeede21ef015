import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { z } from "zod";
import { DomainSettingSchema } from "@/features/domains/domains.schemas";
import { SettingsResponseSchema } from "@/features/settings/settings.schemas";
import worker from "@/index";
import type { AppEnv } from "@/lib/types";
import { type ApiResponse, call, expectBody } from "./api";

/** Helpers of the custom-domain tests (test/domains-*.test.ts), which run against real DNS (dnsdist DoH -> nsd). */

export type DomainSetting = z.infer<typeof DomainSettingSchema>;
export type ZoneRecord = { name: string; type: string; data: string };

export const DOMAIN = "/v1/email-settings/domain";
export const VERIFY = "/v1/email-settings/domain:verify";
export const VERIFY_NS = "/v1/email-settings/domain/name-servers:verify";

/** The platform values from wrangler.toml [vars]. */
export const PLATFORM = {
  nameServers: ["ns1.epilot.cloud", "ns2.epilot.cloud"],
  mx: "inbound.epilot.cloud",
  spfInclude: "spf.epilot.cloud",
  dkimTarget: "dkim.epilot.cloud",
};

/** For `beforeAll`: fails the file when the DNS test servers (test/servers/dns-servers.ts) did not start. */
export function requireDnsServers() {
  if (env.TEST_DNS_UNAVAILABLE) throw new Error(`The DNS test servers did not start: ${env.TEST_DNS_UNAVAILABLE}`);
}

/** A fresh, public-looking domain per test; nsd serves whatever zone a test publishes for it. */
let domainCounter = 0;
export const uniqueDomain = (prefix = "acme") => `${prefix}-${crypto.randomUUID().slice(0, 8)}-${++domainCounter}.com`;

export async function publishZone(zone: string, records: ZoneRecord[]) {
  const response = await fetch(`${env.TEST_DNS_ADMIN_URL}/zones/${zone}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ records }),
  });
  expect(response.status, await response.text()).toBe(204);
}

export async function removeZone(zone: string) {
  const response = await fetch(`${env.TEST_DNS_ADMIN_URL}/zones/${zone}`, { method: "DELETE" });
  expect(response.status).toBe(204);
}

/** A domain response: declared schema (SettingsResponse) and the documented domain shape. */
export function expectDomain(response: ApiResponse, status = 200): DomainSetting {
  const body = expectBody(response, status, SettingsResponseSchema);
  expect(Array.isArray(body)).toBe(false);
  return DomainSettingSchema.parse(body);
}

export const record = (domain: DomainSetting, purpose: string, nameStart?: string) => {
  const found = domain.dns_records.find((r) => r.purpose === purpose && (!nameStart || r.name.startsWith(nameStart)));
  if (!found) throw new Error(`no ${purpose} record in ${JSON.stringify(domain.dns_records)}`);
  return found;
};

export const quote = (text: string) => `"${text}"`;

/** Zone-file records that satisfy `domain`'s instructions, by purpose. */
export function publishedRecords(
  domain: DomainSetting,
  purposes = ["ownership", "mx", "spf", "dkim", "dmarc"],
): ZoneRecord[] {
  return domain.dns_records
    .filter((r) => purposes.includes(r.purpose))
    .map((r) => ({
      name: `${r.name}.`,
      type: r.type,
      data: r.type === "TXT" ? quote(r.value) : r.type === "MX" ? `${r.priority} ${r.value}.` : `${r.value}.`,
    }));
}

export async function addDomain(org: string, domain: string) {
  return expectDomain(await call("POST", DOMAIN, { org, body: { domain } }));
}

export async function runScheduledRecheck(hoursAhead: number) {
  const controller = createScheduledController({
    scheduledTime: Date.now() + hoursAhead * 3_600_000,
    cron: "0 * * * *",
  });
  const ctx = createExecutionContext();
  // A batch large enough for every domain the tests made, whatever ran before.
  await worker.scheduled(controller, { ...(env as unknown as AppEnv), DOMAIN_RECHECK_BATCH_SIZE: "1000" }, ctx);
  await waitOnExecutionContext(ctx);
}
