import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import {
  add,
  at,
  BASE,
  epilot,
  get,
  list,
  makePrimary,
  PRIMARY,
  primaries,
  provision,
} from "@test/helpers/email-addresses";
import { describe, expect, it } from "vitest";
import {
  type EmailAddressResponse,
  EmailAddressResponseSchema,
} from "@/features/email-addresses/email-addresses.schemas";

describe("listEmailAddresses", () => {
  it("returns an empty array for an org without addresses", async () => {
    expect(await list(uniqueOrg())).toEqual([]);
  });

  it("lists the org's addresses in creation order", async () => {
    const org = uniqueOrg();
    const created: EmailAddressResponse[] = [];
    for (const address of ["zeta@example.com", "alpha@example.com", "mid@example.com", "beta@example.com"]) {
      created.push(await add(org, { address }));
    }
    expect(await list(org)).toEqual(created);
  });

  it("does not include other orgs' addresses", async () => {
    const orgA = uniqueOrg();
    const orgB = uniqueOrg();
    await add(orgA, { address: "a1@example.com" });
    await add(orgA, { address: "a2@example.com" });
    const b = await add(orgB, { address: "b1@example.com" });
    expect(await list(orgB)).toEqual([b]);
    expect((await list(orgA)).map((r) => r.address)).toEqual(["a1@example.com", "a2@example.com"]);
  });

  it("requires a bearer token", async () => {
    expectError(await call("GET", BASE, { token: null }), 401);
  });
});

describe("getEmailAddress", () => {
  it("finds an address by id, by address and by address in any case", async () => {
    const org = uniqueOrg();
    const created = await add(org, { address: "sales@example.com" });
    expect(await get(org, created.id)).toEqual(created);
    expect(await get(org, "sales@example.com")).toEqual(created);
    expect(await get(org, "SALES@Example.COM")).toEqual(created);
    // Unencoded in the path as well.
    const raw = await call("GET", `${BASE}/SALES@Example.COM`, { org });
    expect(expectBody(raw, 200, EmailAddressResponseSchema)).toEqual(created);
  });

  it("finds an address with characters that need encoding in a path", async () => {
    const org = uniqueOrg();
    const created = await add(org, { address: "sales+eu@example.com" });
    expect(await get(org, "Sales+EU@example.com")).toEqual(created);
  });

  it("answers 404 for an unknown id or address", async () => {
    const org = uniqueOrg();
    await add(org, { address: "sales@example.com" });
    expectError(await call("GET", at(crypto.randomUUID()), { org }), 404, /not found/);
    expectError(await call("GET", at("nobody@example.com"), { org }), 404, /nobody@example\.com.*not found/);
  });
});

describe("cross-org isolation", () => {
  it("treats another org's addresses as missing for get, update, delete and primary", async () => {
    const orgA = uniqueOrg();
    const orgB = uniqueOrg();
    const a1 = await add(orgA, { address: "a1@example.com" });
    const a2 = await add(orgA, { address: "a2@example.com" });
    await makePrimary(orgA, a1.id);
    const platform = await provision(orgA, epilot("orga"));
    await add(orgB, { address: "b1@example.com" });
    const before = await list(orgA);

    for (const key of [a2.id, a2.address, "A2@EXAMPLE.COM", platform.id, platform.address]) {
      expectError(await call("GET", at(key), { org: orgB }), 404, /not found/);
      expectError(await call("PUT", at(key), { org: orgB, body: { name: "hijacked", is_active: false } }), 404);
      expectError(await call("DELETE", at(key), { org: orgB }), 404, /not found/);
      expectError(await call("POST", PRIMARY, { org: orgB, body: { address: key } }), 404, /not found/);
    }
    // The missing-id answer is the same as for an id that exists nowhere.
    const foreign = await call("GET", at(a2.id), { org: orgB });
    const missing = await call("GET", at(crypto.randomUUID()), { org: orgB });
    expect(foreign.status).toBe(missing.status);

    expect(await list(orgA)).toEqual(before);
    expect((await list(orgB)).map((r) => r.address)).toEqual(["b1@example.com"]);
  });

  it("does not let org B's primary switch or deletes touch org A's primary", async () => {
    const orgA = uniqueOrg();
    const orgB = uniqueOrg();
    const a = await add(orgA, { address: "same@example.com" });
    await makePrimary(orgA, a.id);
    const b1 = await add(orgB, { address: "same@example.com" });
    const b2 = await add(orgB, { address: "other@example.com" });
    await makePrimary(orgB, b1.id);
    await makePrimary(orgB, b2.id);
    expect((await call("DELETE", at(b2.id), { org: orgB })).status).toBe(204);
    expect(primaries(await list(orgB))).toEqual(["same@example.com"]);
    expect(await get(orgA, a.id)).toMatchObject({ is_primary: true, is_active: true });
    expect(primaries(await list(orgA))).toEqual(["same@example.com"]);
  });
});
