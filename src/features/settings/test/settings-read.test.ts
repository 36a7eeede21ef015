import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { add, getOne, list, SETTINGS, signature } from "@test/helpers/settings";
import { describe, expect, it } from "vitest";
import { SettingSchema } from "@/features/settings/settings.schemas";

describe("GET /v1/email-settings", () => {
  it("requires a type", async () => {
    const org = uniqueOrg();
    expectError(await call("GET", SETTINGS, { org }), 400, /type/);
    expectError(await call("GET", `${SETTINGS}?id=abc`, { org }), 400, /type/);
  });

  it.each(["unknown", "signatures", "SIGNATURE", ""])("refuses the type %j with 400", async (type) => {
    const org = uniqueOrg();
    expectError(await call("GET", `${SETTINGS}?type=${type}`, { org }), 400, /type/);
  });

  it("lists nothing for a new org", async () => {
    const org = uniqueOrg();
    for (const type of ["signature", "email_domain", "email_address", "whitelist_email_address"]) {
      expect(await list(org, type)).toEqual([]);
    }
    expect(await list(org, "restrict_duplicates_within")).toEqual([]);
  });

  it("lists only settings of the requested type, in creation order", async () => {
    const org = uniqueOrg();
    const s1 = await add(org, signature({ name: "Zeta" }));
    const w1 = await add(org, { type: "whitelist_email_address", value: "z@example.com" });
    const s2 = await add(org, signature({ name: "Alpha" }));
    const d1 = await add(org, { type: "email_domain", value: "example.com" });
    const w2 = await add(org, { type: "whitelist_email_address", value: "a@example.com" });

    expect(await list(org, "signature")).toEqual([s1, s2]);
    expect(await list(org, "whitelist_email_address")).toEqual([w1, w2]);
    expect(await list(org, "email_domain")).toEqual([d1]);
    expect(await list(org, "email_address")).toEqual([]);
  });

  it("returns one object when an id is given", async () => {
    const org = uniqueOrg();
    const created = await add(org, signature());
    const got = expectBody(await getOne(org, "signature", created.id ?? ""), 200, SettingSchema);
    expect(Array.isArray(got)).toBe(false);
    expect(got).toEqual(created);
  });

  it("answers 404 for an unknown id", async () => {
    const org = uniqueOrg();
    await add(org, signature());
    expectError(await getOne(org, "signature", "does-not-exist"), 404, /does-not-exist/);
  });

  it("answers 404 for an id of another type", async () => {
    const org = uniqueOrg();
    const created = await add(org, signature());
    expectError(await getOne(org, "email_domain", created.id ?? ""), 404);
    expectError(await getOne(org, "whitelist_email_address", created.id ?? ""), 404);
  });

  it("answers 404 for another org's id and does not list its settings", async () => {
    const orgA = uniqueOrg("a");
    const orgB = uniqueOrg("b");
    const theirs = await add(orgA, signature());
    const mine = await add(orgB, signature({ name: "Mine" }));
    expectError(await getOne(orgB, "signature", theirs.id ?? ""), 404);
    expect(await list(orgB, "signature")).toEqual([mine]);
    expect(await list(orgA, "signature")).toEqual([theirs]);
  });

  it("refuses an unknown type even with an id", async () => {
    const org = uniqueOrg();
    const created = await add(org, signature());
    expectError(await getOne(org, "bogus", created.id ?? ""), 400, /type/);
  });
});
