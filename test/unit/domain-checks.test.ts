import { describe, expect, it } from "vitest";
import type { DnsRecord, DnsRecordType, DnsResolver, LookupResult } from "@/clients/dns";
import { checkNameServers } from "@/features/domains/check-name-servers";
import { checkDomainRecords, doubledZoneNames, overallStatus } from "@/features/domains/check-records";
import { mergedSpf } from "@/features/domains/checks";
import { type DomainConfig, domainConfig } from "@/features/domains/config";
import { ResolverUnreachableError } from "@/features/domains/errors";
import { expectedRecords } from "@/features/domains/records";
import { nextCheckAt } from "@/features/domains/state";
import { appConfig } from "@/lib/config";
import { parseCustomDomain } from "@/shared/domain-names";

/** The domain config for these vars, as the services would hand it over. */
const domainConfigOf = (vars: object) => domainConfig({ config: appConfig(vars) });

const config: DomainConfig = domainConfigOf({});
const DOMAIN = "mail.acme.com";
const state = { token: "a".repeat(40), dkimKeyId: "k1k1k1k1k1k1" };
const expected = expectedRecords(DOMAIN, state, config);
const byPurpose = (purpose: string) => expected.filter((r) => r.purpose === purpose);

const found = (...records: DnsRecord[]): LookupResult => ({ status: "found", records, cnames: [] });
const empty: LookupResult = { status: "empty", rcode: "NXDOMAIN", cnames: [] };
const txt = (value: string): DnsRecord => ({ type: "TXT", value });

/** A resolver answering from a table `"TYPE name" -> result`; anything else is NXDOMAIN. */
function tableResolver(table: Record<string, LookupResult>) {
  const asked: string[] = [];
  const resolver: DnsResolver = {
    async lookup(name: string, type: DnsRecordType) {
      asked.push(`${type} ${name}`);
      return table[`${type} ${name}`] ?? empty;
    },
  };
  return { resolver, asked };
}

/** Everything published as instructed. */
function allPublished(): Record<string, LookupResult> {
  const [ownership] = byPurpose("ownership");
  const [spf] = byPurpose("spf");
  const table: Record<string, LookupResult> = {
    [`TXT ${DOMAIN}`]: found(txt(ownership?.value ?? ""), txt(spf?.value ?? "")),
    [`MX ${DOMAIN}`]: found({ type: "MX", preference: 10, exchange: config.inboundMxHost }),
    [`TXT _dmarc.${DOMAIN}`]: found(txt("v=DMARC1; p=none")),
  };
  for (const dkim of byPurpose("dkim")) table[`CNAME ${dkim.name}`] = found({ type: "CNAME", value: dkim.value });
  return table;
}

const statusOf = async (table: Record<string, LookupResult>, purpose: string) => {
  const checks = await checkDomainRecords(DOMAIN, expected, tableResolver(table).resolver, config);
  const check = checks.find((c) => c.record.purpose === purpose);
  if (!check) throw new Error(`no ${purpose} check`);
  return check;
};

describe("expected records", () => {
  it("lists ownership, MX, SPF, two DKIM selectors and an advisory DMARC record", () => {
    expect(expected.map((r) => [r.purpose, r.type, r.name, r.required])).toEqual([
      ["ownership", "TXT", DOMAIN, true],
      ["mx", "MX", DOMAIN, true],
      ["spf", "TXT", DOMAIN, true],
      ["dkim", "CNAME", `epilot1._domainkey.${DOMAIN}`, true],
      ["dkim", "CNAME", `epilot2._domainkey.${DOMAIN}`, true],
      ["dmarc", "TXT", `_dmarc.${DOMAIN}`, false],
    ]);
    expect(byPurpose("dkim").map((r) => r.value)).toEqual([
      "epilot1.k1k1k1k1k1k1.dkim.epilot.cloud",
      "epilot2.k1k1k1k1k1k1.dkim.epilot.cloud",
    ]);
  });

  it("takes platform values from the config vars", () => {
    const custom = domainConfigOf({
      PLATFORM_NAME_SERVERS: " NS-B.example.net., ns-a.example.net ",
      INBOUND_MX_HOST: "MX.Example.net.",
      SPF_INCLUDE: "_spf.example.net",
      DKIM_TARGET_DOMAIN: "keys.example.net",
    });
    expect(custom.nameServers).toEqual(["ns-b.example.net", "ns-a.example.net"]);
    const records = expectedRecords(DOMAIN, state, custom);
    expect(records.find((r) => r.purpose === "mx")?.value).toBe("mx.example.net");
    expect(records.find((r) => r.purpose === "spf")?.value).toBe("v=spf1 include:_spf.example.net ~all");
    expect(records.find((r) => r.purpose === "dkim")?.value).toBe("epilot1.k1k1k1k1k1k1.keys.example.net");
  });

  it("refuses a DOH_URL that is not http(s) with a 503", () => {
    expect(() => domainConfigOf({ DOH_URL: "not a url" })).toThrow(/DOH_URL/);
    expect(() => domainConfigOf({ DOH_URL: "file:///etc/hosts" })).toThrow(/DOH_URL/);
    expect(domainConfigOf({ DOH_URL: "" }).dohUrl).toBe("https://cloudflare-dns.com/dns-query");
  });
});

describe("checkDomainRecords", () => {
  it("asks each distinct name/type once, all at the same time", async () => {
    const pending: { key: string; resolve: (r: LookupResult) => void }[] = [];
    const resolver: DnsResolver = {
      lookup: (name, type) => new Promise((resolve) => pending.push({ key: `${type} ${name}`, resolve })),
    };
    const table = allPublished();
    const run = checkDomainRecords(DOMAIN, expected, resolver, config);
    await new Promise((resolve) => setTimeout(resolve, 0));
    // Every question is in flight before any answer arrives: one round trip.
    expect(pending.map((p) => p.key).sort()).toEqual(Object.keys(table).sort());
    for (const p of pending) p.resolve(table[p.key] ?? empty);
    const checks = await run;
    expect(checks.every((c) => c.status === "verified")).toBe(true);
    expect(overallStatus(checks, "pending")).toBe("verified");
  });

  it("compares case-insensitively and ignores trailing dots", async () => {
    const table = allPublished();
    const [dkim] = byPurpose("dkim");
    table[`CNAME ${dkim?.name}`] = found({ type: "CNAME", value: `${dkim?.value.toUpperCase()}.` });
    table[`MX ${DOMAIN}`] = found({ type: "MX", preference: 10, exchange: "INBOUND.epilot.cloud." });
    expect((await statusOf(table, "dkim")).status).toBe("verified");
    expect((await statusOf(table, "mx")).status).toBe("verified");
  });

  describe("SPF", () => {
    const withSpf = (...spf: string[]) => {
      const table = allPublished();
      table[`TXT ${DOMAIN}`] = found(txt(byPurpose("ownership")[0]?.value ?? ""), ...spf.map(txt));
      return table;
    };

    it("accepts the platform include among other mechanisms", async () => {
      const check = await statusOf(
        withSpf("v=spf1 ip4:192.0.2.0/24 include:_spf.google.com include:SPF.epilot.cloud. -all"),
        "spf",
      );
      expect(check.status).toBe("verified");
    });

    it("names two SPF records and suggests one merged record", async () => {
      const check = await statusOf(
        withSpf("v=spf1 include:spf.epilot.cloud ~all", "v=spf1 include:mailgun.org -all"),
        "spf",
      );
      expect(check.status).toBe("mismatch");
      expect(check.hint).toContain("2 SPF (v=spf1) records");
      expect(check.hint).toContain("v=spf1 include:spf.epilot.cloud include:mailgun.org ~all");
    });

    it("suggests adding the include to an existing record", async () => {
      const check = await statusOf(withSpf("v=spf1 mx -all"), "spf");
      expect(check.status).toBe("mismatch");
      expect(check.hint).toContain("v=spf1 mx include:spf.epilot.cloud -all");
    });

    it("does not count a qualified include", async () => {
      const check = await statusOf(withSpf("v=spf1 ~include:spf.epilot.cloud -all"), "spf");
      expect(check.status).toBe("mismatch");
      expect(check.hint).toMatch(/no '~' in front/);
    });

    it("is missing when only other TXT records exist, which it lists as found", async () => {
      const table = allPublished();
      table[`TXT ${DOMAIN}`] = found(txt("google-site-verification=xyz"));
      const check = await statusOf(table, "spf");
      expect(check).toMatchObject({ status: "missing", found: ["google-site-verification=xyz"] });
    });

    it("merges terms without duplicates", () => {
      expect(mergedSpf(["v=spf1 a mx -all", "v=spf1 MX include:x.net ~all"], "spf.epilot.cloud")).toBe(
        "v=spf1 a mx include:x.net include:spf.epilot.cloud -all",
      );
    });
  });

  describe("MX priorities", () => {
    const withMx = (...mx: [number, string][]) => {
      const table = allPublished();
      table[`MX ${DOMAIN}`] = found(
        ...mx.map(([preference, exchange]) => ({ type: "MX" as const, preference, exchange })),
      );
      return table;
    };

    it("is verified when the platform host has the lowest number (ties included)", async () => {
      expect((await statusOf(withMx([20, "backup.example.net"], [10, "inbound.epilot.cloud"]), "mx")).status).toBe(
        "verified",
      );
      expect((await statusOf(withMx([10, "other.example.net"], [10, "inbound.epilot.cloud"]), "mx")).status).toBe(
        "verified",
      );
    });

    it("is a mismatch naming the preferred host when another host has a lower number", async () => {
      const check = await statusOf(withMx([10, "inbound.epilot.cloud"], [5, "mx.google.com"]), "mx");
      expect(check.status).toBe("mismatch");
      expect(check.hint).toMatch(/mx\.google\.com has priority 5, lower than inbound\.epilot\.cloud \(10\)/);
      expect(check.found).toEqual(["10 inbound.epilot.cloud", "5 mx.google.com"]);
    });

    it("is a mismatch when mail goes elsewhere entirely", async () => {
      const check = await statusOf(withMx([1, "aspmx.l.google.com"]), "mx");
      expect(check.status).toBe("mismatch");
      expect(check.hint).toContain("aspmx.l.google.com");
    });
  });

  describe("DKIM and the doubled zone", () => {
    it("looks the doubled names up only for missing records below the domain, and reports where it is", async () => {
      const table = allPublished();
      const [dkim1] = byPurpose("dkim");
      delete table[`CNAME ${dkim1?.name}`];
      table[`CNAME ${dkim1?.name}.acme.com`] = found({ type: "CNAME", value: dkim1?.value ?? "" });
      const { resolver, asked } = tableResolver(table);
      const checks = await checkDomainRecords(DOMAIN, expected, resolver, config);
      const check = checks.find((c) => c.record.name === dkim1?.name);
      expect(check?.status).toBe("mismatch");
      expect(check?.hint).toContain(`${dkim1?.name}.acme.com`);
      expect(asked.filter((q) => q.startsWith(`CNAME ${dkim1?.name}.`)).sort()).toEqual([
        `CNAME ${dkim1?.name}.acme.com`,
        `CNAME ${dkim1?.name}.${DOMAIN}`,
      ]);
      // Records found at the right name cause no extra lookups.
      expect(asked).toHaveLength(5 + 2);
    });

    it("doubled-zone candidates are the domain and its registrable parent", () => {
      expect(doubledZoneNames("s._domainkey.acme.com", "acme.com")).toEqual(["s._domainkey.acme.com.acme.com"]);
      expect(doubledZoneNames("s._domainkey.a.b.acme.com", "a.b.acme.com")).toEqual([
        "s._domainkey.a.b.acme.com.a.b.acme.com",
        "s._domainkey.a.b.acme.com.acme.com",
      ]);
    });

    it("a CNAME to the wrong target is a mismatch showing the target", async () => {
      const table = allPublished();
      const [dkim1] = byPurpose("dkim");
      table[`CNAME ${dkim1?.name}`] = found({ type: "CNAME", value: "old-provider.example.net" });
      expect(await statusOf(table, "dkim")).toMatchObject({ status: "mismatch", found: ["old-provider.example.net"] });
    });
  });

  it("DMARC is advisory: missing or doubled DMARC never blocks verification", async () => {
    const table = allPublished();
    delete table[`TXT _dmarc.${DOMAIN}`];
    const checks = await checkDomainRecords(DOMAIN, expected, tableResolver(table).resolver, config);
    expect(checks.find((c) => c.record.purpose === "dmarc")?.status).toBe("missing");
    expect(overallStatus(checks, "pending")).toBe("verified");
    table[`TXT _dmarc.${DOMAIN}`] = found(txt("v=DMARC1; p=none"), txt("v=DMARC1; p=reject"));
    const twice = await checkDomainRecords(DOMAIN, expected, tableResolver(table).resolver, config);
    expect(twice.find((c) => c.record.purpose === "dmarc")?.hint).toMatch(/2 DMARC records/);
    expect(overallStatus(twice, "pending")).toBe("verified");
  });

  it("a lookup error marks only the affected records error, with the reason", async () => {
    const table = allPublished();
    table[`MX ${DOMAIN}`] = { status: "error", reason: "the resolver answered SERVFAIL" };
    const checks = await checkDomainRecords(DOMAIN, expected, tableResolver(table).resolver, config);
    const mx = checks.find((c) => c.record.purpose === "mx");
    expect(mx).toMatchObject({ status: "error", reason: "the resolver answered SERVFAIL" });
    expect(checks.filter((c) => c.status === "verified")).toHaveLength(5);
    expect(overallStatus(checks, "pending")).toBe("partially_verified");
    // A verified domain is not demoted by resolver trouble alone.
    expect(overallStatus(checks, "verified")).toBe("verified");
  });

  it("throws a 502 error only when no question reached the resolver", async () => {
    const unreachable: DnsResolver = {
      lookup: async () => ({
        status: "error",
        reason: "the resolver could not be reached (refused)",
        unreachable: true,
      }),
    };
    await expect(checkDomainRecords(DOMAIN, expected, unreachable, config)).rejects.toBeInstanceOf(
      ResolverUnreachableError,
    );
    await expect(checkDomainRecords(DOMAIN, expected, unreachable, config)).rejects.toMatchObject({ status: 502 });
    let calls = 0;
    const flaky: DnsResolver = {
      lookup: async () =>
        ++calls === 1
          ? { status: "error", reason: "refused", unreachable: true }
          : { status: "empty", rcode: "NOERROR", cnames: [] },
    };
    const checks = await checkDomainRecords(DOMAIN, expected, flaky, config);
    expect(checks.some((c) => c.status === "error")).toBe(true);
  });
});

describe("overallStatus", () => {
  const withStatuses = (...statuses: string[]) =>
    expected.map((record, i) => ({ record, status: (statuses[i] ?? "verified") as "verified" }));

  it.each([
    [["verified", "verified", "verified", "verified", "verified", "missing"], "pending", "verified"],
    [["verified", "missing", "missing", "missing", "missing", "missing"], "pending", "partially_verified"],
    [["missing", "missing", "missing", "missing", "missing", "missing"], "pending", "pending"],
    [["error", "error", "error", "error", "error", "error"], "pending", "pending"],
    [["mismatch", "missing", "missing", "missing", "missing", "verified"], "pending", "failed"],
    [["verified", "verified", "verified", "missing", "verified", "verified"], "verified", "partially_verified"],
    [["missing", "missing", "missing", "missing", "missing", "missing"], "verified", "pending"],
  ])("%j (was %s) -> %s", (statuses, previous, result) => {
    expect(overallStatus(withStatuses(...statuses), previous as "pending")).toBe(result);
  });
});

describe("checkNameServers", () => {
  const ns = (...names: string[]): LookupResult => found(...names.map((value) => ({ type: "NS" as const, value })));
  const resolverWith = (result: LookupResult): DnsResolver => ({ lookup: async () => result });
  const now = "2026-01-01T00:00:00.000Z";

  it("passes on the same set in another order and case", async () => {
    const check = await checkNameServers(DOMAIN, resolverWith(ns("ns2.epilot.cloud", "ns1.epilot.cloud")), config, now);
    expect(check).toMatchObject({
      status: "pass",
      expected: ["ns1.epilot.cloud", "ns2.epilot.cloud"],
      checked_at: now,
    });
  });

  it("fails per name server and names what to add and remove", async () => {
    const check = await checkNameServers(
      DOMAIN,
      resolverWith(ns("ns1.epilot.cloud", "dns1.registrar.net")),
      config,
      now,
    );
    expect(check.status).toBe("fail");
    expect(check.results).toEqual([
      { name_server: "dns1.registrar.net", expected: false, found: true, status: "fail" },
      { name_server: "ns1.epilot.cloud", expected: true, found: true, status: "pass" },
      { name_server: "ns2.epilot.cloud", expected: true, found: false, status: "fail" },
    ]);
    expect(check.hint).toMatch(/missing: ns2\.epilot\.cloud.*remove: dns1\.registrar\.net/);
  });

  it("no NS records is a fail; a lookup error is an error; an unreachable resolver throws", async () => {
    expect((await checkNameServers(DOMAIN, resolverWith(empty), config, now)).hint).toMatch(/No NS records/);
    const error = await checkNameServers(DOMAIN, resolverWith({ status: "error", reason: "SERVFAIL" }), config, now);
    expect(error).toMatchObject({ status: "error", reason: "SERVFAIL" });
    await expect(
      checkNameServers(DOMAIN, resolverWith({ status: "error", reason: "down", unreachable: true }), config, now),
    ).rejects.toBeInstanceOf(ResolverUnreachableError);
  });
});

describe("re-check schedule", () => {
  const created = "2026-01-01T00:00:00.000Z";
  const at = (hours: number) => new Date(Date.parse(created) + hours * 3_600_000);
  const inHours = (iso: string, from: Date) => (Date.parse(iso) - from.getTime()) / 3_600_000;

  it("unverified domains hourly during their first 72 hours, then daily; verified domains daily", () => {
    for (const status of ["pending", "partially_verified", "failed"] as const) {
      expect(inHours(nextCheckAt(status, created, at(1)), at(1))).toBe(1);
      expect(inHours(nextCheckAt(status, created, at(71.5)), at(71.5))).toBe(1);
      expect(inHours(nextCheckAt(status, created, at(72)), at(72))).toBe(24);
    }
    expect(inHours(nextCheckAt("verified", created, at(1)), at(1))).toBe(24);
    expect(inHours(nextCheckAt("verified", created, at(500)), at(500))).toBe(24);
  });
});

describe("parseCustomDomain", () => {
  it.each([
    ["Mail.YourCompany.com.", "mail.yourcompany.com"],
    ["  example.co.uk  ", "example.co.uk"],
    ["bücher.de", "xn--bcher-kva.de"],
    ["ÉXAMPLE.com", "xn--xample-9ua.com"],
    ["xn--bcher-kva.de", "xn--bcher-kva.de"],
    ["例え.テスト.jp", "xn--r8jz45g.xn--zckzah.jp"],
    ["a-b.c-d.io", "a-b.c-d.io"],
  ])("%j -> %j", (input, domain) => {
    expect(parseCustomDomain(input)).toEqual({ ok: true, domain });
  });

  it.each([
    "",
    "localhost",
    "foo.localhost",
    "nas.local",
    "svc.internal",
    "x.corp",
    "a.lan",
    "example.test",
    "www.example",
    "abc.onion",
    "10.0.0.1",
    "0x7f.1",
    "[2001:db8::1]",
    "foo..bar.com",
    "-a.com",
    "a-.com",
    "a_b.com",
    "a b.com",
    "a.com/x",
    "a.123",
  ])("refuses %j", (input) => {
    const result = parseCustomDomain(input);
    expect(result.ok).toBe(false);
  });
});
