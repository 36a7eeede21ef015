import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { type ApiResponse, call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { domainConfig } from "@/features/domains/domains";
import { DomainSettingSchema } from "@/features/domains/domains.schemas";
import { SettingSchema, SettingsResponseSchema } from "@/features/settings/settings.schemas";
import worker from "@/index";
import { appConfig } from "@/lib/config";
import type { AppEnv } from "@/lib/types";

type DomainSetting = z.infer<typeof DomainSettingSchema>;

const DOMAIN = "/v1/email-settings/domain";
const VERIFY = "/v1/email-settings/domain:verify";
const SETTINGS = "/v1/email-settings";

beforeAll(() => {
  if (env.TEST_DNS_UNAVAILABLE) throw new Error(`The DNS test servers did not start: ${env.TEST_DNS_UNAVAILABLE}`);
});

let counter = 0;
const uniqueDomain = (prefix = "cap") => `${prefix}-${crypto.randomUUID().slice(0, 8)}-${++counter}.com`;

function expectDomain(response: ApiResponse, status = 200): DomainSetting {
  const body = expectBody(response, status, SettingsResponseSchema);
  return DomainSettingSchema.parse(body);
}

const listDomains = async (org: string) =>
  expectBody(await call("GET", DOMAIN, { org }), 200, DomainSettingSchema.array());

describe("domains per organization (DOMAINS_PER_ORG_MAX)", () => {
  const cap = { DOMAINS_PER_ORG_MAX: "3" };
  const add = (org: string, domain: string) => call("POST", DOMAIN, { org, body: { domain }, env: cap });

  it("defaults to 50", () => {
    expect(domainConfig({ config: appConfig({}) }).maxDomainsPerOrg).toBe(50);
    expect(domainConfig({ config: appConfig({ DOMAINS_PER_ORG_MAX: "7" }) }).maxDomainsPerOrg).toBe(7);
  });

  it("refuses the domain over the cap with 409, through addDomain and the legacy settings API", async () => {
    const org = uniqueOrg();
    for (let i = 0; i < 3; i++) expectDomain(await add(org, uniqueDomain()));
    const over = uniqueDomain();
    expectError(await add(org, over), 409, /already has 3 domains, the most it can hold; delete a domain/);
    expectError(
      await call("POST", SETTINGS, { org, body: { type: "email_domain", value: over }, env: cap }),
      409,
      /already has 3 domains/,
    );
    // Nothing half-written: still three domains, no state without a setting.
    expect((await listDomains(org)).map((d) => d.value)).not.toContain(over);
    expect(await listDomains(org)).toHaveLength(3);
    // Another org is not affected by this org's count.
    expectDomain(await add(uniqueOrg(), over));
  });

  it("frees a slot when a domain is deleted; a duplicate at the cap is still 'already configured'", async () => {
    const org = uniqueOrg();
    const names = [uniqueDomain(), uniqueDomain(), uniqueDomain()];
    for (const name of names) expectDomain(await add(org, name));
    expectError(await add(org, names[0] as string), 409, /already configured for this organization/);
    const replacement = uniqueDomain();
    expectError(await add(org, replacement), 409, /already has 3 domains/);
    expect((await call("DELETE", DOMAIN, { org, body: { domain: names[0] } })).status).toBe(204);
    expect(expectDomain(await add(org, replacement)).value).toBe(replacement);
  });

  it("concurrent adds cannot exceed the cap", async () => {
    const org = uniqueOrg();
    const names = Array.from({ length: 8 }, () => uniqueDomain("race"));
    const responses = await Promise.all(names.map((name) => add(org, name)));
    const added = responses.filter((r) => r.status === 200).map((r) => expectDomain(r).value);
    expect(added).toHaveLength(3);
    for (const r of responses.filter((r) => r.status !== 200)) expectError(r, 409, /already has 3 domains/);
    expect((await listDomains(org)).map((d) => d.value).sort()).toEqual([...added].sort());
    const legacy = expectBody(await call("GET", `${SETTINGS}?type=email_domain`, { org }), 200, SettingSchema.array());
    expect(legacy).toHaveLength(3);
  });
});

// ---------------------------------------------------------------------------------------------------
// One verified holder per domain, decided at verify time (DNS served by the local nsd)
// ---------------------------------------------------------------------------------------------------

async function publishZone(zone: string, records: { name: string; type: string; data: string }[]) {
  const response = await fetch(`${env.TEST_DNS_ADMIN_URL}/zones/${zone}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ records }),
  });
  expect(response.status, await response.text()).toBe(204);
}

/** Zone-file records that satisfy every required record of `domain` (ownership, MX, SPF, DKIM). */
const recordsFor = (domain: DomainSetting) =>
  domain.dns_records
    .filter((r) => r.required)
    .map((r) => ({
      name: `${r.name}.`,
      type: r.type,
      data: r.type === "TXT" ? `"${r.value}"` : r.type === "MX" ? `${r.priority} ${r.value}.` : `${r.value}.`,
    }));

async function runScheduledRecheck() {
  const controller = createScheduledController({ scheduledTime: Date.now(), cron: "0 * * * *" });
  const ctx = createExecutionContext();
  await worker.scheduled(controller, { ...(env as unknown as AppEnv), DOMAIN_RECHECK_BATCH_SIZE: "1000" }, ctx);
  await waitOnExecutionContext(ctx);
}

describe("a domain verified by another organization", () => {
  it("is reported only at verify time, to a caller whose own records are published, and never by whom", async () => {
    const holder = uniqueOrg("holder");
    const claimant = uniqueOrg("claimant");
    const name = uniqueDomain("moved");
    const held = expectDomain(await call("POST", DOMAIN, { org: holder, body: { domain: name } }));
    await publishZone(name, recordsFor(held));
    expect(expectDomain(await call("POST", VERIFY, { org: holder, body: { domain: name } })).status).toBe("verified");

    // The claimant can add it; the answer does not show that anyone else has it.
    const added = expectDomain(await call("POST", DOMAIN, { org: claimant, body: { domain: name } }));
    expect(added.status).toBe("pending");

    // The DNS now carries the claimant's records (the DKIM names can point to one key only).
    await publishZone(name, recordsFor(added));
    const message = expectError(await call("POST", VERIFY, { org: claimant, body: { domain: name } }), 409);
    expect(message).toMatch(/cannot be verified yet: its records are in place/);
    expect(message).not.toContain(holder);
    const [pending] = await listDomains(claimant);
    expect(pending?.status).toBe("pending");
    // The holder's re-check was moved up to now, and the next run takes its verification away.
    const [before] = await listDomains(holder);
    expect(Date.parse(before?.next_check_at ?? "")).toBeLessThanOrEqual(Date.now());
    await runScheduledRecheck();
    const [after] = await listDomains(holder);
    expect(after?.status).toBe("partially_verified");
    expect(expectDomain(await call("POST", VERIFY, { org: claimant, body: { domain: name } })).status).toBe("verified");
    expect((await fetch(`${env.TEST_DNS_ADMIN_URL}/zones/${name}`, { method: "DELETE" })).status).toBe(204);
  });
});
