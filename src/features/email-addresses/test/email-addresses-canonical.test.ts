import { call, expectError, uniqueOrg } from "@test/helpers/api";
import {
  add,
  at,
  BASE,
  epilot,
  get,
  list,
  makePrimary,
  PRIMARY,
  PROVISION,
  primaries,
  provision,
  update,
} from "@test/helpers/email-addresses";
import { add as addSetting, list as listSettings, SETTINGS, update as updateSetting } from "@test/helpers/settings";
import { describe, expect, it } from "vitest";

/** Spellings of `name@epilot.cloud` that reach the same host: case, trailing dot, fullwidth, ideographic dot, soft hyphen. */
const platformSpellings = (name: string) => [
  `${name.toUpperCase()}@EPILOT.CLOUD.`,
  `${name}@epilot.cloud.`,
  `${name}@\uff45\uff50\uff49\uff4c\uff4f\uff54\uff0e\uff43\uff4c\uff4f\uff55\uff44`,
  `${name}@epilot\u3002cloud\uff0e`,
  `${name}@epi\u00adlot.cloud`,
];

const nameOf = (address: string) => address.split("@")[0] ?? "";

describe("a platform address in any spelling", () => {
  it.each(platformSpellings("x").map((spelling, i) => [i, spelling]))(
    "spelling %i (%j) of another org's address answers 409 not available and provisions nothing",
    async (i) => {
      const orgA = uniqueOrg();
      const orgB = uniqueOrg();
      const address = epilot("taken");
      const held = await provision(orgA, address);
      const spelling = platformSpellings(nameOf(address))[i as number] ?? "";
      const message = expectError(
        await call("PUT", PROVISION, { org: orgB, body: { address: spelling } }),
        409,
        new RegExp(`'${address.replace(/\./g, "\\.")}' is not available; choose another name`),
      );
      expect(message).not.toContain(orgA);
      expect(await list(orgB)).toEqual([]);
      expect(await list(orgA)).toEqual([held]);
    },
  );

  it.each(platformSpellings("support").concat(["team@EU.Epilot.Cloud."]))(
    "cannot be added as an org's own address (%j): 400, nothing stored",
    async (spelling) => {
      const org = uniqueOrg();
      expectError(
        await call("POST", BASE, { org, body: { address: spelling } }),
        400,
        /address: @epilot\.cloud addresses are provisioned by the platform/,
      );
      expect(await list(org)).toEqual([]);
    },
  );

  it("is provisioned in its canonical form, and another spelling is the same row", async () => {
    const org = uniqueOrg();
    const address = epilot("mine");
    const first = await provision(org, `${nameOf(address).toUpperCase()}@Epilot.Cloud.`);
    expect(first.address).toBe(address);
    const again = await provision(org, `${nameOf(address)}@\uff45\uff50\uff49\uff4c\uff4f\uff54.cloud`);
    expect(again).toMatchObject({ id: first.id, address });
    expect((await list(org)).map((r) => r.id)).toEqual([first.id]);
  });
});

describe("one address, many spellings", () => {
  it("a@b.example. and a@b.example are one address: stored and answered without the dot, the second is 409", async () => {
    const org = uniqueOrg();
    const created = await add(org, { address: "A@B.Example." });
    expect(created.address).toBe("a@b.example");
    expectError(
      await call("POST", BASE, { org, body: { address: "a@b.example" } }),
      409,
      /'a@b\.example' already exists/,
    );
    expectError(await call("POST", BASE, { org, body: { address: "a@b.example." } }), 409, /already exists/);
    expect(await list(org)).toEqual([created]);
    expect(await get(org, "a@b.example.")).toEqual(created);
    expect(await get(org, "A@B.EXAMPLE")).toEqual(created);
  });

  it("stores an IDN domain as punycode and finds it by either spelling", async () => {
    const org = uniqueOrg();
    const created = await add(org, { address: "Info@B\u00fccher.Example" });
    expect(created.address).toBe("info@xn--bcher-kva.example");
    expectError(
      await call("POST", BASE, { org, body: { address: "INFO@XN--BCHER-KVA.EXAMPLE." } }),
      409,
      /'info@xn--bcher-kva\.example' already exists/,
    );
    expect(await get(org, "info@b\u00fccher.example.")).toEqual(created);
    expect(await get(org, "info@xn--bcher-kva.example")).toEqual(created);
    expect(await list(org)).toEqual([created]);
  });

  it("refuses two trailing dots and a domain that is no host name once mapped with 400", async () => {
    const org = uniqueOrg();
    for (const address of ["a@b.example..", "a@b.example\uff0e\uff0e", "a@\uff11\uff12\uff17.0.0.1", "a@b%2eexample"]) {
      expectError(await call("POST", BASE, { org, body: { address } }), 400, /address: must be a valid email address/);
    }
    expect(await list(org)).toEqual([]);
  });

  it("makes the address primary when it is named with a trailing dot or another case", async () => {
    const org = uniqueOrg();
    const sales = await add(org, { address: "sales@example.com" });
    await add(org, { address: "other@example.com" });
    expect(await makePrimary(org, "Sales@Example.COM.")).toMatchObject({ id: sales.id, is_primary: true });
    expect(primaries(await list(org))).toEqual(["sales@example.com"]);
    // An address the org does not have stays 404 in every spelling.
    expectError(await call("POST", PRIMARY, { org, body: { address: "nobody@example.com." } }), 404);
  });

  it("does not let a trailing dot reach another org's platform address through {id}", async () => {
    const orgA = uniqueOrg();
    const orgB = uniqueOrg();
    const address = epilot("held");
    await provision(orgA, address);
    expectError(await call("POST", PRIMARY, { org: orgB, body: { address: `${address}.` } }), 404);
    expectError(await call("GET", at(`${address}.`), { org: orgB }), 404);
    expect((await get(orgA, `${address.toUpperCase()}.`)).address).toBe(address);
  });

  it("updates and deletes an address named with a trailing dot", async () => {
    const org = uniqueOrg();
    const created = await add(org, { address: "desk@example.com" });
    expect(await update(org, "DESK@example.com.", { name: "Desk" })).toMatchObject({ id: created.id, name: "Desk" });
    expect((await call("DELETE", at("desk@EXAMPLE.com."), { org })).status).toBe(204);
    expect(await list(org)).toEqual([]);
  });
});

describe("the legacy email_address setting", () => {
  const post = (org: string, value: string, type = "email_address") =>
    call("POST", SETTINGS, { org, body: { type, value } });

  it.each([0, 1, 2])("answers 409 not available for another org's platform address (spelling %i)", async (i) => {
    const orgA = uniqueOrg();
    const orgB = uniqueOrg();
    const address = epilot("legacy");
    await provision(orgA, address);
    const spelling = [address, `${address.toUpperCase()}.`, platformSpellings(nameOf(address))[2] ?? ""][i] ?? "";
    const message = expectError(await post(orgB, spelling), 409, /is not available; choose another name/);
    expect(message).not.toContain(orgA);
    expect(await listSettings(orgB, "email_address")).toEqual([]);
  });

  it("lets the org holding the platform address record it, in canonical form", async () => {
    const org = uniqueOrg();
    const address = epilot("own");
    await provision(org, address);
    expect(await addSetting(org, { type: "email_address", value: `${address.toUpperCase()}.` })).toMatchObject({
      value: address,
    });
  });

  it("refuses a platform address nobody provisioned, or one below the platform domain, with 400", async () => {
    const org = uniqueOrg();
    for (const value of [epilot("free"), `${epilot("free")}.`, "team@eu.epilot.cloud."]) {
      expectError(await post(org, value), 400, /value: @epilot\.cloud addresses are provisioned by the platform/);
    }
    expect(await listSettings(org, "email_address")).toEqual([]);
  });

  it("refuses changing a setting to another org's platform address with 409, keeping the stored value", async () => {
    const orgA = uniqueOrg();
    const orgB = uniqueOrg();
    const address = epilot("switch");
    await provision(orgA, address);
    const setting = await addSetting(orgB, { type: "email_address", value: "b@example.com" });
    const resp = await updateSetting(orgB, setting.id ?? "", { type: "email_address", value: `${address}.` });
    expectError(resp, 409, /is not available/);
    expect((await listSettings(orgB, "email_address")).map((s) => s.value)).toEqual(["b@example.com"]);
  });

  it.each(["email_address", "whitelist_email_address"])(
    "stores a %s in canonical form, so a trailing-dot spelling is a duplicate (409)",
    async (type) => {
      const org = uniqueOrg();
      expect(await addSetting(org, { type, value: "VIP@B\u00fccher.Example." })).toMatchObject({
        value: "vip@xn--bcher-kva.example",
      });
      expectError(await post(org, "vip@xn--bcher-kva.example", type), 409, /vip@xn--bcher-kva\.example/);
      expect(await listSettings(org, type)).toHaveLength(1);
    },
  );

  it("lets anyone whitelist a platform address (a sender, not an address of the org)", async () => {
    const org = uniqueOrg();
    expect(await addSetting(org, { type: "whitelist_email_address", value: "Support@Epilot.Cloud." })).toMatchObject({
      value: "support@epilot.cloud",
    });
  });
});
