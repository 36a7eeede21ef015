import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import {
  addDomain,
  DOMAIN,
  type DomainSetting,
  expectDomain,
  publishedRecords,
  publishZone,
  removeZone,
  requireDnsServers,
  uniqueDomain,
  VERIFY,
  VERIFY_NS,
} from "@test/helpers/domains";
import { beforeAll, describe, expect, it } from "vitest";
import { DomainSettingSchema } from "@/features/domains/domains.schemas";
import { SettingSchema } from "@/features/settings/settings.schemas";

beforeAll(requireDnsServers);

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
