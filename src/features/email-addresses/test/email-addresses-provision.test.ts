import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import {
  add,
  at,
  BASE,
  epilot,
  get,
  list,
  makePrimary,
  PROVISION,
  primaries,
  provision,
  UUID,
  update,
} from "@test/helpers/email-addresses";
import { describe, expect, it } from "vitest";
import { EmailAddressResponseSchema } from "@/features/email-addresses/email-addresses.schemas";

describe("provisionEpilotEmailAddress", () => {
  it("provisions an active platform address", async () => {
    const org = uniqueOrg();
    const address = epilot("mycompany");
    const resp = await call("PUT", PROVISION, { org, user: "u-9", body: { address: ` ${address.toUpperCase()} ` } });
    const row = expectBody(resp, 200, EmailAddressResponseSchema);
    expect(row).toMatchObject({
      address,
      is_epilot_email_address: true,
      is_active: true,
      shared_inbox_id: "default",
      user_ids: [],
      group_ids: [],
      created_by: "u-9",
      updated_by: "u-9",
    });
    expect(row.id).toMatch(UUID);
    expect(await get(org, address)).toEqual(row);
    expect(await list(org)).toEqual([row]);
  });

  it.each([
    "someone@example.com",
    "someone@sub.epilot.cloud",
    "someone@epilot.cloud.example.com",
    "someone@epilot.com",
  ])("refuses a non-platform address (%s) with 400 naming the field", async (address) => {
    const org = uniqueOrg();
    expectError(await call("PUT", PROVISION, { org, body: { address } }), 400, /address.*epilot\.cloud/);
    expect(await list(org)).toEqual([]);
  });

  it("rejects an invalid, missing or mistyped address and malformed JSON with 400", async () => {
    const org = uniqueOrg();
    expectError(
      await call("PUT", PROVISION, { org, body: { address: "not an address@epilot.cloud" } }),
      400,
      /address/,
    );
    expectError(await call("PUT", PROVISION, { org, body: { address: "@epilot.cloud" } }), 400, /address/);
    expectError(await call("PUT", PROVISION, { org, body: {} }), 400, /address/);
    expectError(await call("PUT", PROVISION, { org, body: { address: [epilot("a")] } }), 400, /address/);
    expectError(await call("PUT", PROVISION, { org, rawBody: "{" }), 400, /json/i);
    expect(await list(org)).toEqual([]);
  });

  it("is idempotent for the same address", async () => {
    const org = uniqueOrg();
    const address = epilot("acme");
    const first = await provision(org, address);
    const second = await provision(org, address.toUpperCase(), "u-2");
    expect(second).toMatchObject({ id: first.id, is_active: true, is_epilot_email_address: true, updated_by: "u-2" });
    expect((await list(org)).map((r) => r.id)).toEqual([first.id]);
  });

  it("keeps one active platform address: a second deactivates the first, re-provisioning swaps back", async () => {
    const org = uniqueOrg();
    const one = epilot("one");
    const two = epilot("two");
    const first = await provision(org, one);
    const second = await provision(org, two);
    expect(second).toMatchObject({ is_active: true, is_epilot_email_address: true });
    let rows = await list(org);
    expect(rows.map((r) => [r.address, r.is_active, r.is_epilot_email_address])).toEqual([
      [one, false, true],
      [two, true, true],
    ]);

    const again = await provision(org, one);
    expect(again).toMatchObject({ id: first.id, is_active: true });
    rows = await list(org);
    expect(rows.map((r) => [r.id, r.is_active])).toEqual([
      [first.id, true],
      [second.id, false],
    ]);
  });

  it("leaves the org's own addresses and primary alone when provisioning", async () => {
    const org = uniqueOrg();
    const own = await add(org, { address: "sales@example.com" });
    const other = await add(org, { address: "other@example.com" });
    await makePrimary(org, own.id);
    await provision(org, epilot("one"));
    const two = await provision(org, epilot("two"));
    expect(two.is_primary).toBe(false);
    const rows = await list(org);
    expect(rows.find((r) => r.id === own.id)).toMatchObject({ is_active: true, is_primary: true });
    expect(rows.find((r) => r.id === other.id)).toMatchObject({ is_active: true, is_primary: false });
    expect(primaries(rows)).toEqual(["sales@example.com"]);
  });

  it("hands the primary role to the new platform address when the primary one is retired", async () => {
    const org = uniqueOrg();
    const oneAddress = epilot("one");
    const twoAddress = epilot("two");
    await add(org, { address: "sales@example.com" });
    const one = await provision(org, oneAddress);
    await makePrimary(org, one.id);

    const two = await provision(org, twoAddress);
    expect(two).toMatchObject({ is_primary: true, is_active: true });
    let rows = await list(org);
    expect(primaries(rows)).toEqual([twoAddress]);
    expect(rows.find((r) => r.id === one.id)).toMatchObject({ is_active: false, is_primary: false });

    const back = await provision(org, oneAddress);
    expect(back).toMatchObject({ id: one.id, is_primary: true, is_active: true });
    rows = await list(org);
    expect(primaries(rows)).toEqual([oneAddress]);
    expect(rows.find((r) => r.id === two.id)).toMatchObject({ is_active: false, is_primary: false });
  });

  it("refuses an address another org holds with 409, without saying who holds it", async () => {
    const orgA = uniqueOrg();
    const orgB = uniqueOrg();
    const address = epilot("taken");
    const a = await provision(orgA, address);
    const message = expectError(
      await call("PUT", PROVISION, { org: orgB, body: { address: address.toUpperCase() } }),
      409,
      /is not available; choose another name/,
    );
    // Neither the holder nor that it is another organization is revealed.
    expect(message).not.toMatch(/organi[sz]ation/i);
    expect(message).not.toContain(orgA);
    expect(await list(orgB)).toEqual([]);
    expect(await list(orgA)).toEqual([a]);
  });

  it("refuses an address another org holds even when that org's copy is inactive", async () => {
    const orgA = uniqueOrg();
    const orgB = uniqueOrg();
    const old = epilot("old");
    await provision(orgA, old);
    await provision(orgA, epilot("new"));
    expect((await get(orgA, old)).is_active).toBe(false);
    const message = expectError(
      await call("PUT", PROVISION, { org: orgB, body: { address: old } }),
      409,
      /not available/,
    );
    expect(message).not.toMatch(/organi[sz]ation/i);
    expect(await list(orgB)).toEqual([]);
  });

  it("frees the address for another org once deleted", async () => {
    const orgA = uniqueOrg();
    const orgB = uniqueOrg();
    const address = epilot("moving");
    const a = await provision(orgA, address);
    expect((await call("DELETE", at(a.id), { org: orgA })).status).toBe(204);
    const b = await provision(orgB, address);
    expect(b.id).not.toBe(a.id);
    expect(await list(orgA)).toEqual([]);
  });

  it("keeps the platform flag when the address is updated", async () => {
    const org = uniqueOrg();
    const address = epilot("acme");
    const row = await provision(org, address);
    const updated = await update(org, row.id, { name: "Acme" });
    expect(updated).toMatchObject({ is_epilot_email_address: true, address, name: "Acme" });
  });
});

describe("the platform domain follows EPILOT_EMAIL_DOMAIN", () => {
  const put = (org: string, address: string, env: Record<string, string>) =>
    call("PUT", PROVISION, { org, env, body: { address } });

  it("provisions on a configured domain, whatever its case, and refuses the default one there", async () => {
    const org = uniqueOrg();
    const env = { EPILOT_EMAIL_DOMAIN: " Mail.Platform-Test.Example " };
    const address = `acme-${crypto.randomUUID().slice(0, 8)}@mail.platform-test.example`;
    const row = expectBody(await put(org, address, env), 200, EmailAddressResponseSchema);
    expect(row).toMatchObject({ address, is_epilot_email_address: true, is_active: true });
    expectError(
      await put(org, epilot("default"), env),
      400,
      /address: must be an @mail\.platform-test\.example address/,
    );
    // Adding an address on the configured platform domain (or a subdomain) is refused like @epilot.cloud is.
    const added = await call("POST", BASE, { org, env, body: { address: "team@eu.mail.platform-test.example" } });
    expectError(added, 400, /@mail\.platform-test\.example addresses are provisioned by the platform/);
    expect((await list(org)).map((r) => r.address)).toEqual([address]);
  });

  it("reads a blank EPILOT_EMAIL_DOMAIN as the default epilot.cloud", async () => {
    const org = uniqueOrg();
    const address = epilot("blank");
    const row = expectBody(await put(org, address, { EPILOT_EMAIL_DOMAIN: "  " }), 200, EmailAddressResponseSchema);
    expect(row).toMatchObject({ address, is_epilot_email_address: true });
    const added = await call("POST", BASE, {
      org,
      env: { EPILOT_EMAIL_DOMAIN: "" },
      body: { address: "x@epilot.cloud" },
    });
    expectError(added, 400, /@epilot\.cloud addresses are provisioned by the platform/);
  });
});
