import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import {
  addDomain,
  DOMAIN,
  expectDomain,
  publishedRecords,
  publishZone,
  record,
  removeZone,
  requireDnsServers,
  uniqueDomain,
  VERIFY,
} from "@test/helpers/domains";
import { beforeAll, describe, expect, it } from "vitest";
import { DomainSettingSchema } from "@/features/domains/domains.schemas";

beforeAll(requireDnsServers);

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
