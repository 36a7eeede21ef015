import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import worker from "@/index";
import type { AppEnv } from "@/lib/types";
import { DomainSettingSchema } from "@/schemas/domains";
import { EmailAddressResponseSchema } from "@/schemas/email-addresses";
import { SettingSchema, SettingsResponseSchema } from "@/schemas/settings";
import { type ApiResponse, call, expectBody, expectError, uniqueOrg } from "./helpers/api";

type DomainSetting = z.infer<typeof DomainSettingSchema>;
type ZoneRecord = { name: string; type: string; data: string };

const DOMAIN = "/v1/email-settings/domain";
const VERIFY = "/v1/email-settings/domain:verify";
const VERIFY_NS = "/v1/email-settings/domain/name-servers:verify";

/** The platform values from wrangler.toml [vars]. */
const PLATFORM = {
  nameServers: ["ns1.epilot.cloud", "ns2.epilot.cloud"],
  mx: "inbound.epilot.cloud",
  spfInclude: "spf.epilot.cloud",
  dkimTarget: "dkim.epilot.cloud",
};

beforeAll(() => {
  if (env.TEST_DNS_UNAVAILABLE) throw new Error(`The DNS test servers did not start: ${env.TEST_DNS_UNAVAILABLE}`);
});

/** A fresh, public-looking domain per test; nsd serves whatever zone a test publishes for it. */
let domainCounter = 0;
const uniqueDomain = (prefix = "acme") => `${prefix}-${crypto.randomUUID().slice(0, 8)}-${++domainCounter}.com`;

async function publishZone(zone: string, records: ZoneRecord[]) {
  const response = await fetch(`${env.TEST_DNS_ADMIN_URL}/zones/${zone}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ records }),
  });
  expect(response.status, await response.text()).toBe(204);
}

async function removeZone(zone: string) {
  const response = await fetch(`${env.TEST_DNS_ADMIN_URL}/zones/${zone}`, { method: "DELETE" });
  expect(response.status).toBe(204);
}

/** A domain response: declared schema (SettingsResponse) and the documented domain shape. */
function expectDomain(response: ApiResponse, status = 200): DomainSetting {
  const body = expectBody(response, status, SettingsResponseSchema);
  expect(Array.isArray(body)).toBe(false);
  return DomainSettingSchema.parse(body);
}

const record = (domain: DomainSetting, purpose: string, nameStart?: string) => {
  const found = domain.dns_records.find((r) => r.purpose === purpose && (!nameStart || r.name.startsWith(nameStart)));
  if (!found) throw new Error(`no ${purpose} record in ${JSON.stringify(domain.dns_records)}`);
  return found;
};

const quote = (text: string) => `"${text}"`;

/** Zone-file records that satisfy `domain`'s instructions, by purpose. */
function publishedRecords(domain: DomainSetting, purposes = ["ownership", "mx", "spf", "dkim", "dmarc"]): ZoneRecord[] {
  return domain.dns_records
    .filter((r) => purposes.includes(r.purpose))
    .map((r) => ({
      name: `${r.name}.`,
      type: r.type,
      data: r.type === "TXT" ? quote(r.value) : r.type === "MX" ? `${r.priority} ${r.value}.` : `${r.value}.`,
    }));
}

async function addDomain(org: string, domain: string) {
  return expectDomain(await call("POST", DOMAIN, { org, body: { domain } }));
}

async function runScheduledRecheck(hoursAhead: number) {
  const controller = createScheduledController({
    scheduledTime: Date.now() + hoursAhead * 3_600_000,
    cron: "0 * * * *",
  });
  const ctx = createExecutionContext();
  // A batch large enough for every domain this file made, whatever ran before.
  await worker.scheduled(controller, { ...(env as unknown as AppEnv), DOMAIN_RECHECK_BATCH_SIZE: "1000" }, ctx);
  await waitOnExecutionContext(ctx);
}

describe("custom domain journey against real DNS (dnsdist DoH -> nsd)", () => {
  it("add, verify with nothing published, publish some, publish all, lose one to the scheduled re-check", async () => {
    const org = uniqueOrg();
    const name = uniqueDomain();

    // 1. Add: normalized, pending, with the records to publish.
    const added = await addDomain(org, `  ${name.toUpperCase()}. `);
    expect(added).toMatchObject({ type: "email_domain", value: name, org_id: org, status: "pending" });
    expect(added.name_servers).toEqual(PLATFORM.nameServers);
    expect(added.verified_at).toBeUndefined();
    expect(added.last_checked_at).toBeUndefined();
    const ownership = record(added, "ownership");
    expect(ownership).toMatchObject({ type: "TXT", name, required: true, status: "pending" });
    expect(ownership.value).toMatch(/^epilot-verification=[0-9a-f]{40}$/);
    expect(record(added, "mx")).toMatchObject({ type: "MX", name, value: PLATFORM.mx, priority: 10 });
    expect(record(added, "spf")).toMatchObject({
      type: "TXT",
      name,
      value: `v=spf1 include:${PLATFORM.spfInclude} ~all`,
    });
    const dkim = added.dns_records.filter((r) => r.purpose === "dkim");
    expect(dkim.map((r) => r.name)).toEqual([`epilot1._domainkey.${name}`, `epilot2._domainkey.${name}`]);
    for (const r of dkim) {
      expect(r.type).toBe("CNAME");
      expect(r.value.endsWith(`.${PLATFORM.dkimTarget}`)).toBe(true);
    }
    expect(record(added, "dmarc")).toMatchObject({ type: "TXT", name: `_dmarc.${name}`, required: false });

    // 2. Verify with nothing published: every record missing, still pending, check time stored.
    await publishZone(name, []);
    const nothing = expectDomain(await call("POST", VERIFY, { org, body: { domain: name } }));
    expect(nothing.status).toBe("pending");
    expect(nothing.dns_records.map((r) => r.status)).toEqual(nothing.dns_records.map(() => "missing"));
    expect(nothing.last_checked_at).toBeDefined();
    expect(nothing.verified_at).toBeUndefined();
    for (const r of nothing.dns_records) expect(r.hint).toContain(r.name);

    // 3. Publish ownership, SPF (among other mechanisms, split over two strings) and MX; DKIM still missing.
    await publishZone(name, [
      ...publishedRecords(added, ["ownership", "mx"]),
      { name: "@", type: "MX", data: "20 backup-mx.example.net." },
      { name: "@", type: "TXT", data: `"v=spf1 include:_spf.google.com " "include:${PLATFORM.spfInclude} -all"` },
    ]);
    const partial = expectDomain(await call("POST", VERIFY, { org, body: { domain: name } }));
    expect(partial.status).toBe("partially_verified");
    expect(record(partial, "ownership").status).toBe("verified");
    expect(record(partial, "mx").status).toBe("verified");
    expect(record(partial, "mx").found).toEqual(
      expect.arrayContaining(["10 inbound.epilot.cloud", "20 backup-mx.example.net"]),
    );
    expect(record(partial, "spf").status).toBe("verified");
    const stillMissing = partial.dns_records.filter((r) => r.status !== "verified").map((r) => r.name);
    expect(stillMissing).toEqual([`epilot1._domainkey.${name}`, `epilot2._domainkey.${name}`, `_dmarc.${name}`]);

    // 4. Publish everything (DMARC through an in-zone CNAME, which the lookup follows): verified.
    await publishZone(name, [
      ...publishedRecords(added, ["ownership", "mx", "spf", "dkim"]),
      { name: "_dmarc", type: "CNAME", data: `dmarc-policy.${name}.` },
      { name: "dmarc-policy", type: "TXT", data: quote("v=DMARC1; p=quarantine; rua=mailto:d@example.net") },
    ]);
    const verified = expectDomain(await call("POST", VERIFY, { org, body: { domain: name } }));
    expect(verified.status).toBe("verified");
    expect(verified.dns_records.every((r) => r.status === "verified")).toBe(true);
    expect(verified.verified_at).toBeDefined();

    // The listing and the legacy settings API show the same record.
    const list = expectBody(await call("GET", DOMAIN, { org }), 200, DomainSettingSchema.array());
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: added.id, status: "verified", verified_at: verified.verified_at });
    const legacy = expectBody(
      await call("GET", `/v1/email-settings?type=email_domain&id=${added.id}`, { org }),
      200,
      SettingSchema,
    );
    expect(legacy).toMatchObject({ id: added.id, type: "email_domain", value: name });

    // 5. A DKIM record disappears; the scheduled re-check (verified domains: daily) sees it.
    await publishZone(name, [
      ...publishedRecords(added, ["ownership", "mx", "spf", "dmarc"]),
      ...publishedRecords(added, ["dkim"]).slice(0, 1),
    ]);
    await runScheduledRecheck(25);
    const [afterCron] = expectBody(await call("GET", DOMAIN, { org }), 200, DomainSettingSchema.array());
    expect(afterCron?.status).toBe("partially_verified");
    expect(afterCron?.verified_at).toBeUndefined();
    expect(Date.parse(afterCron?.last_checked_at ?? "")).toBeGreaterThan(Date.parse(verified.last_checked_at ?? ""));
    const lost = afterCron?.dns_records.filter((r) => r.status !== "verified") ?? [];
    expect(lost.map((r) => [r.name, r.status])).toEqual([[`epilot2._domainkey.${name}`, "missing"]]);
    // Not verified any more: back to hourly re-checks while the domain is young.
    const nextIn = Date.parse(afterCron?.next_check_at ?? "") - Date.parse(afterCron?.last_checked_at ?? "");
    expect(nextIn).toBe(3_600_000);

    await removeZone(name);
  });
});

describe("verifyDomain: what customers get wrong", () => {
  it("names two SPF records, a wrong DKIM target and an MX that is not preferred", async () => {
    const org = uniqueOrg();
    const name = uniqueDomain("mistakes");
    const added = await addDomain(org, name);
    await publishZone(name, [
      ...publishedRecords(added, ["ownership", "dkim"]).slice(0, 2),
      { name: "epilot2._domainkey", type: "CNAME", data: "somewhere-else.example.net." },
      { name: "@", type: "TXT", data: quote(`v=spf1 include:${PLATFORM.spfInclude} ~all`) },
      { name: "@", type: "TXT", data: quote("v=spf1 include:mailgun.org -all") },
      { name: "@", type: "MX", data: `10 ${PLATFORM.mx}.` },
      { name: "@", type: "MX", data: "5 mx.other-provider.net." },
    ]);
    const result = expectDomain(await call("POST", VERIFY, { org, body: { domain: name } }));
    expect(result.status).toBe("partially_verified");
    const spf = record(result, "spf");
    expect(spf.status).toBe("mismatch");
    expect(spf.found).toHaveLength(2);
    expect(spf.hint).toMatch(/2 SPF \(v=spf1\) records/);
    expect(spf.hint).toContain(`include:${PLATFORM.spfInclude}`);
    expect(spf.hint).toContain("include:mailgun.org");
    const mx = record(result, "mx");
    expect(mx.status).toBe("mismatch");
    expect(mx.hint).toMatch(/mx\.other-provider\.net has priority 5/);
    const dkim2 = record(result, "dkim", "epilot2");
    expect(dkim2).toMatchObject({ status: "mismatch", found: ["somewhere-else.example.net"] });
    expect(dkim2.hint).toContain(record(result, "dkim", "epilot2").value);
    expect(record(result, "dkim", "epilot1").status).toBe("verified");
    await removeZone(name);
  });

  it("finds a DKIM record under the zone appended twice and says so", async () => {
    const org = uniqueOrg();
    const name = uniqueDomain("doubled");
    const added = await addDomain(org, name);
    const [dkim1] = publishedRecords(added, ["dkim"]);
    await publishZone(name, [
      ...publishedRecords(added, ["ownership", "mx", "spf"]),
      // What a DNS host makes of the full name typed into its "name" field.
      { name: `epilot1._domainkey.${name}`, type: "CNAME", data: dkim1?.data ?? "" },
    ]);
    const result = expectDomain(await call("POST", VERIFY, { org, body: { domain: name } }));
    const wrong = record(result, "dkim", "epilot1");
    expect(wrong.status).toBe("mismatch");
    expect(wrong.hint).toContain(`epilot1._domainkey.${name}.${name}`);
    expect(wrong.hint).toMatch(/added the zone name a second time/);
    expect(record(result, "dkim", "epilot2").status).toBe("missing");
    expect(result.status).toBe("partially_verified");
    await removeZone(name);
  });

  it("a published but wrong ownership token makes an otherwise empty domain failed", async () => {
    const org = uniqueOrg();
    const name = uniqueDomain("failed");
    await addDomain(org, name);
    await publishZone(name, [{ name: "@", type: "TXT", data: quote("epilot-verification=0000") }]);
    const result = expectDomain(await call("POST", VERIFY, { org, body: { domain: name } }));
    expect(result.status).toBe("failed");
    expect(record(result, "ownership")).toMatchObject({ status: "mismatch", found: ["epilot-verification=0000"] });
    await removeZone(name);
  });
});

describe("verifyDomain: resolver trouble is not a server error", () => {
  it("SERVFAIL from the resolver marks every record error with the reason (200)", async () => {
    const org = uniqueOrg();
    // dnsdist answers SERVFAIL for any name with a `servfail` label.
    const name = `servfail.${uniqueDomain("broken")}`;
    await addDomain(org, name);
    const result = expectDomain(await call("POST", VERIFY, { org, body: { domain: name } }));
    expect(result.status).toBe("pending");
    for (const r of result.dns_records) {
      expect(r.status).toBe("error");
      expect(r.reason).toMatch(/SERVFAIL/);
      expect(r.hint).toMatch(/check again later/);
    }
  });

  it("a zone the resolver refuses (not served) is an error per record too", async () => {
    const org = uniqueOrg();
    const name = uniqueDomain("unserved");
    await addDomain(org, name);
    const result = expectDomain(await call("POST", VERIFY, { org, body: { domain: name } }));
    expect(new Set(result.dns_records.map((r) => r.reason))).toEqual(new Set(["the resolver answered REFUSED"]));
  });

  it.each([
    ["http-500", /HTTP 500/],
    ["not-dns", /text\/html instead of application\/dns-message/],
    ["garbage", /malformed DNS answer/],
  ])("a resolver answering %s marks records error", async (fault, pattern) => {
    const org = uniqueOrg();
    const name = uniqueDomain(fault);
    await addDomain(org, name);
    const result = expectDomain(
      await call("POST", VERIFY, {
        org,
        body: { domain: name },
        env: { DOH_URL: `${env.TEST_DNS_ADMIN_URL}/doh/${fault}` },
      }),
    );
    expect(result.dns_records.every((r) => r.status === "error" && pattern.test(r.reason ?? ""))).toBe(true);
  });

  it("a resolver that does not answer in time marks records error (bounded wait)", async () => {
    const org = uniqueOrg();
    const name = uniqueDomain("slow");
    await addDomain(org, name);
    const result = expectDomain(
      await call("POST", VERIFY, {
        org,
        body: { domain: name },
        env: { DOH_URL: `${env.TEST_DNS_ADMIN_URL}/doh/hang`, DOH_TIMEOUT_MS: "150" },
      }),
    );
    expect(
      result.dns_records.every((r) => r.status === "error" && /did not answer within 150 ms/.test(r.reason ?? "")),
    ).toBe(true);
  });

  it("an unreachable resolver answers 502 and stores nothing", async () => {
    const org = uniqueOrg();
    const name = uniqueDomain("offline");
    await addDomain(org, name);
    const offline = { DOH_URL: env.TEST_DNS_CLOSED_URL };
    expectError(await call("POST", VERIFY, { org, body: { domain: name }, env: offline }), 502, /could not be reached/);
    expectError(
      await call("POST", VERIFY_NS, { org, body: { domain: name }, env: offline }),
      502,
      /could not be reached/,
    );
    const [stored] = expectBody(await call("GET", DOMAIN, { org }), 200, DomainSettingSchema.array());
    expect(stored?.last_checked_at).toBeUndefined();
    expect(stored?.name_server_check).toBeUndefined();
  });

  it("a DOH_URL that is not an http(s) URL is a 503", async () => {
    const org = uniqueOrg();
    const name = uniqueDomain("misconfigured");
    await addDomain(org, name);
    expectError(
      await call("POST", VERIFY, { org, body: { domain: name }, env: { DOH_URL: "ftp://resolver.example/dns" } }),
      503,
      /DOH_URL/,
    );
  });
});

describe("verifyNameServers", () => {
  it("passes when the NS set equals the platform's, ignoring order and case; fails per name server otherwise", async () => {
    const org = uniqueOrg();
    const name = uniqueDomain("ns");
    await addDomain(org, name);

    await publishZone(name, []); // ns1/ns2.customer-dns.net
    const wrong = expectDomain(await call("POST", VERIFY_NS, { org, body: { domain: name } }));
    expect(wrong.name_server_check).toMatchObject({
      status: "fail",
      expected: PLATFORM.nameServers,
      found: ["ns1.customer-dns.net", "ns2.customer-dns.net"],
    });
    expect(wrong.name_server_check?.results).toEqual([
      { name_server: "ns1.customer-dns.net", expected: false, found: true, status: "fail" },
      { name_server: "ns1.epilot.cloud", expected: true, found: false, status: "fail" },
      { name_server: "ns2.customer-dns.net", expected: false, found: true, status: "fail" },
      { name_server: "ns2.epilot.cloud", expected: true, found: false, status: "fail" },
    ]);
    expect(wrong.name_server_check?.hint).toMatch(/missing: ns1\.epilot\.cloud, ns2\.epilot\.cloud/);

    await publishZone(name, [
      { name: "@", type: "NS", data: "NS2.EPILOT.CLOUD." },
      { name: "@", type: "NS", data: "ns1.epilot.cloud." },
    ]);
    const right = expectDomain(await call("POST", VERIFY_NS, { org, body: { domain: `${name}.` } }));
    expect(right.name_server_check).toMatchObject({ status: "pass", found: PLATFORM.nameServers });
    expect(right.name_server_check?.results.every((r) => r.status === "pass")).toBe(true);

    // Persisted: the listing shows the last check.
    const [listed] = expectBody(await call("GET", DOMAIN, { org }), 200, DomainSettingSchema.array());
    expect(listed?.name_server_check).toEqual(right.name_server_check);

    await publishZone(name, [
      { name: "@", type: "NS", data: "ns1.epilot.cloud." },
      { name: "@", type: "NS", data: "ns2.epilot.cloud." },
      { name: "@", type: "NS", data: "ns3.elsewhere.net." },
    ]);
    const extra = expectDomain(await call("POST", VERIFY_NS, { org, body: { domain: name } }));
    expect(extra.name_server_check?.status).toBe("fail");
    expect(extra.name_server_check?.hint).toMatch(/remove: ns3\.elsewhere\.net/);
    await removeZone(name);
  });

  it("404 for a domain the org does not have", async () => {
    expectError(await call("POST", VERIFY_NS, { org: uniqueOrg(), body: { domain: uniqueDomain() } }), 404);
  });
});

describe("addDomain validation and conflicts", () => {
  it.each([
    ["", /must not be empty/],
    ["localhost", /single label/],
    ["com", /single label/],
    ["printer.local", /reserved '\.local'/],
    ["db.internal", /reserved '\.internal'/],
    ["my.home.arpa", /reserved '\.arpa'/],
    ["x.test", /reserved '\.test'/],
    ["192.168.1.10", /IP address/],
    ["[::1]", /IP address/],
    ["2001:db8::1", /IP address/],
    ["-bad.example.com", /may not start or end with a hyphen/],
    ["under_score.example.com", /only letters, digits and hyphens/],
    ["a..b.com", /empty label/],
    [`${"a".repeat(64)}.com`, /at most 63/],
    [`${"abcdefghi.".repeat(26)}com`, /at most 253/],
    ["example.123", /not a top-level domain/],
    ["https://example.com/path", /characters that a domain name cannot have/],
    ["user@example.com", /characters that a domain name cannot have/],
    ["mail.epilot.cloud", /belongs to the platform/],
  ])("refuses %j with the reason", async (domain, reason) => {
    const response = await call("POST", DOMAIN, { org: uniqueOrg(), body: { domain } });
    const message = expectError(response, 400, reason);
    expect(message).toMatch(/^domain: /);
  });

  it("refuses a body without a domain string", async () => {
    expectError(await call("POST", DOMAIN, { org: uniqueOrg(), body: {} }), 400, /domain/);
    expectError(await call("POST", DOMAIN, { org: uniqueOrg(), body: { domain: 42 } }), 400, /domain/);
    expectError(await call("POST", DOMAIN, { org: uniqueOrg(), rawBody: "{" }), 400, /Malformed JSON/);
  });

  it("normalizes IDN to punycode", async () => {
    const org = uniqueOrg();
    const suffix = crypto.randomUUID().slice(0, 6);
    const added = await addDomain(org, ` Bücher-${suffix}.DE. `);
    expect(added.value).toMatch(/^xn--bcher-[a-z0-9-]+\.de$/);
    expect(added.value).toBe(new URL(`http://bücher-${suffix}.de/`).hostname);
  });

  it("the same domain twice in one org is 409, also through the legacy settings API", async () => {
    const org = uniqueOrg();
    const name = uniqueDomain("dup");
    await addDomain(org, name);
    expectError(await call("POST", DOMAIN, { org, body: { domain: name.toUpperCase() } }), 409, /already configured/);
    expectError(
      await call("POST", "/v1/email-settings", { org, body: { type: "email_domain", value: name } }),
      409,
      /already configured/,
    );
  });

  it("adding a domain another org has verified does not reveal it; verifying without its DNS does not take it", async () => {
    const owner = uniqueOrg("owner");
    const other = uniqueOrg("other");
    const name = uniqueDomain("taken");
    const added = await addDomain(owner, name);
    await publishZone(name, publishedRecords(added));
    expect(expectDomain(await call("POST", VERIFY, { org: owner, body: { domain: name } })).status).toBe("verified");

    // Another org can add the name: the answer is the same as for a name nobody holds.
    const second = await addDomain(other, name);
    expect(second).toMatchObject({ value: name, org_id: other, status: "pending" });
    expect(JSON.stringify(second)).not.toContain(owner);
    // It cannot take it over: the published token (and DKIM keys) are the owner's.
    const check = expectDomain(await call("POST", VERIFY, { org: other, body: { domain: name } }));
    expect(check.status).toBe("partially_verified");
    expect(record(check, "ownership").status).toBe("mismatch");
    expect(record(check, "ownership").hint).toMatch(/carries another token/);
    expect(JSON.stringify(check)).not.toMatch(/organi[sz]ation/i);
    const [ownerView] = expectBody(await call("GET", DOMAIN, { org: owner }), 200, DomainSettingSchema.array());
    expect(ownerView).toMatchObject({ id: added.id, status: "verified" });
    await removeZone(name);
  });
});

describe("tenancy and lookups by name", () => {
  it("another org's domain is 404 for verify, verifyNameServers and delete, and absent from its list", async () => {
    const owner = uniqueOrg();
    const stranger = uniqueOrg();
    const name = uniqueDomain("private");
    await addDomain(owner, name);
    for (const path of [VERIFY, VERIFY_NS]) {
      expectError(await call("POST", path, { org: stranger, body: { domain: name } }), 404, /not found/);
    }
    expectError(await call("DELETE", DOMAIN, { org: stranger, body: { domain: name } }), 404, /not found/);
    expect(expectBody(await call("GET", DOMAIN, { org: stranger }), 200, DomainSettingSchema.array())).toEqual([]);
    expect(expectBody(await call("GET", DOMAIN, { org: owner }), 200, DomainSettingSchema.array())).toHaveLength(1);
  });

  it("verify and delete of an unknown domain are 404; a missing domain field is 400", async () => {
    const org = uniqueOrg();
    expectError(await call("POST", VERIFY, { org, body: { domain: uniqueDomain() } }), 404, /not found/);
    expectError(await call("DELETE", DOMAIN, { org, body: { domain: uniqueDomain() } }), 404, /not found/);
    expectError(await call("POST", VERIFY, { org, body: {} }), 400, /domain/);
    expectError(await call("DELETE", DOMAIN, { org, body: { domain: "   " } }), 400, /domain/);
  });

  it("needs a token", async () => {
    expectError(await call("GET", DOMAIN, { token: null }), 401);
    expectError(await call("POST", VERIFY, { token: null, body: { domain: "example.com" } }), 401);
  });

  it("a domain added through the legacy settings API is the same record: listed, verifiable, deletable", async () => {
    const org = uniqueOrg();
    const name = uniqueDomain("legacy");
    const legacy = expectBody(
      await call("POST", "/v1/email-settings", { org, body: { type: "email_domain", value: name } }),
      200,
      SettingSchema,
    );
    const [listed] = expectBody(await call("GET", DOMAIN, { org }), 200, DomainSettingSchema.array());
    expect(listed).toMatchObject({ id: legacy.id, value: name, status: "pending" });
    await publishZone(name, publishedRecords(listed as DomainSetting));
    const verified = expectDomain(await call("POST", VERIFY, { org, body: { domain: name } }));
    expect(verified).toMatchObject({ id: legacy.id, status: "verified" });
    // Deleting through the legacy API removes the verification state with it.
    expectBody(
      await call("DELETE", "/v1/email-settings", { org, body: { type: "email_domain", id: legacy.id } }),
      200,
      SettingSchema,
    );
    expect(expectBody(await call("GET", DOMAIN, { org }), 200, DomainSettingSchema.array())).toEqual([]);
    // ... so another org can now add it.
    await addDomain(uniqueOrg(), name);
    await removeZone(name);
  });

  it("a client cannot fake server-owned fields through legacy additional properties", async () => {
    const org = uniqueOrg();
    const name = uniqueDomain("spoof");
    await call("POST", "/v1/email-settings", {
      org,
      body: { type: "email_domain", value: name, status: "verified", verified_at: "2020-01-01T00:00:00.000Z" },
    });
    const [listed] = expectBody(await call("GET", DOMAIN, { org }), 200, DomainSettingSchema.array());
    expect(listed?.status).toBe("pending");
    expect(listed?.verified_at).toBeUndefined();
  });
});

describe("deleteDomain", () => {
  it("409 naming the addresses that use the domain, then 204 once they are gone", async () => {
    const org = uniqueOrg();
    const name = uniqueDomain("inuse");
    await addDomain(org, name);
    const addresses = [`sales@${name}`, `support@${name}`];
    const ids: string[] = [];
    for (const address of addresses) {
      ids.push(
        expectBody(
          await call("POST", "/v2/email-settings/email-addresses", { org, body: { address } }),
          201,
          EmailAddressResponseSchema,
        ).id,
      );
    }
    // An address on a subdomain does not use the domain itself.
    await call("POST", "/v2/email-settings/email-addresses", { org, body: { address: `x@sub.${name}` } });

    const message = expectError(await call("DELETE", DOMAIN, { org, body: { domain: name } }), 409);
    for (const address of addresses) expect(message).toContain(address);
    expect(message).not.toContain(`x@sub.${name}`);

    for (const id of ids) {
      expect((await call("DELETE", `/v2/email-settings/email-addresses/${id}`, { org })).status).toBeLessThan(300);
    }
    const deleted = await call("DELETE", DOMAIN, { org, body: { domain: `${name.toUpperCase()}.` } });
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBe("");
    expect(expectBody(await call("GET", DOMAIN, { org }), 200, DomainSettingSchema.array())).toEqual([]);
    const legacy = expectBody(
      await call("GET", "/v1/email-settings?type=email_domain", { org }),
      200,
      SettingSchema.array(),
    );
    expect(legacy.map((s) => s.value)).not.toContain(name);
    expectError(await call("DELETE", DOMAIN, { org, body: { domain: name } }), 404);
    expectError(await call("POST", VERIFY, { org, body: { domain: name } }), 404);
  });
});
