import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { addDomain, DOMAIN, requireDnsServers, uniqueDomain, VERIFY } from "@test/helpers/domains";
import { beforeAll, describe, expect, it } from "vitest";
import { DomainSettingSchema } from "@/features/domains/domains.schemas";
import { EmailAddressResponseSchema } from "@/features/email-addresses/email-addresses.schemas";
import { SettingSchema } from "@/features/settings/settings.schemas";

beforeAll(requireDnsServers);

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
