import { env } from "cloudflare:workers";
import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import {
  addDomain,
  DOMAIN,
  expectDomain,
  PLATFORM,
  publishedRecords,
  publishZone,
  quote,
  record,
  removeZone,
  requireDnsServers,
  uniqueDomain,
  VERIFY,
  VERIFY_NS,
} from "@test/helpers/domains";
import { beforeAll, describe, expect, it } from "vitest";
import { DomainSettingSchema } from "@/features/domains/domains.schemas";

beforeAll(requireDnsServers);

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
