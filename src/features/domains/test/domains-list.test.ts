import { call, expectBody, uniqueOrg } from "@test/helpers/api";
import { addDomain, DOMAIN, uniqueDomain } from "@test/helpers/domains";
import { describe, expect, it } from "vitest";
import { DomainSettingSchema } from "@/features/domains/domains.schemas";
import { SettingSchema } from "@/features/settings/settings.schemas";

describe("getDomains", () => {
  it("lists the org's domains oldest first, legacy settings among them, each with its verification state", async () => {
    const org = uniqueOrg();
    const [first, second, third] = [uniqueDomain("first"), uniqueDomain("second"), uniqueDomain("third")];
    await addDomain(org, first);
    // Added through the legacy settings API: it has no verification state until it is first read.
    expectBody(
      await call("POST", "/v1/email-settings", { org, body: { type: "email_domain", value: second } }),
      200,
      SettingSchema,
    );
    await addDomain(org, third);
    await addDomain(uniqueOrg(), uniqueDomain("elsewhere"));

    const listed = expectBody(await call("GET", DOMAIN, { org }), 200, DomainSettingSchema.array());
    expect(listed.map((d) => d.value)).toEqual([first, second, third]);
    for (const domain of listed) {
      expect(domain).toMatchObject({ org_id: org, type: "email_domain", status: "pending" });
      expect(domain.dns_records.find((r) => r.purpose === "ownership")?.value).toMatch(/^epilot-verification=/);
    }
    // The legacy domain's state was created once: its token stays the same on the next read.
    const again = expectBody(await call("GET", DOMAIN, { org }), 200, DomainSettingSchema.array());
    expect(again.map((d) => d.dns_records)).toEqual(listed.map((d) => d.dns_records));
  });
});
