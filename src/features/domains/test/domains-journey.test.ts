import { call, expectBody, uniqueOrg } from "@test/helpers/api";
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
  runScheduledRecheck,
  uniqueDomain,
  VERIFY,
} from "@test/helpers/domains";
import { beforeAll, describe, expect, it } from "vitest";
import { DomainSettingSchema } from "@/features/domains/domains.schemas";
import { SettingSchema } from "@/features/settings/settings.schemas";

beforeAll(requireDnsServers);

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
