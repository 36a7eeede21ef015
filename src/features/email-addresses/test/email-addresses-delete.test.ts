import { call, expectError, uniqueOrg } from "@test/helpers/api";
import { add, at, get, list, makePrimary, primaries, update } from "@test/helpers/email-addresses";
import { describe, expect, it } from "vitest";

describe("deleteEmailAddress", () => {
  it("deletes with 204 and an empty body; the address is then gone", async () => {
    const org = uniqueOrg();
    const keep = await add(org, { address: "keep@example.com" });
    const gone = await add(org, { address: "gone@example.com" });
    const resp = await call("DELETE", at(gone.id), { org });
    expect(resp.status).toBe(204);
    expect(resp.body).toBe("");
    expectError(await call("GET", at(gone.id), { org }), 404, /not found/);
    expect(await list(org)).toEqual([keep]);
  });

  it("deletes by address in any case, and the address can be added again", async () => {
    const org = uniqueOrg();
    const created = await add(org, { address: "sales@example.com" });
    expect((await call("DELETE", at("Sales@EXAMPLE.com"), { org })).status).toBe(204);
    expect(await list(org)).toEqual([]);
    const again = await add(org, { address: "sales@example.com" });
    expect(again.id).not.toBe(created.id);
  });

  it("answers 404 for an unknown id and for a second delete", async () => {
    const org = uniqueOrg();
    const created = await add(org, { address: "sales@example.com" });
    expectError(await call("DELETE", at(crypto.randomUUID()), { org }), 404, /not found/);
    expectError(await call("DELETE", at("nobody@example.com"), { org }), 404, /not found/);
    expect((await call("DELETE", at(created.id), { org })).status).toBe(204);
    expectError(await call("DELETE", at(created.id), { org }), 404, /not found/);
  });

  it("promotes the oldest remaining active address when the primary is deleted", async () => {
    const org = uniqueOrg();
    const a = await add(org, { address: "a@example.com" });
    const b = await add(org, { address: "b@example.com" });
    const c = await add(org, { address: "c@example.com" });
    await add(org, { address: "d@example.com" });
    await makePrimary(org, a.id);
    await update(org, b.id, { is_active: false });

    expect((await call("DELETE", at(a.id), { org })).status).toBe(204);
    const rows = await list(org);
    expect(primaries(rows)).toEqual(["c@example.com"]);
    expect((await get(org, c.id)).is_primary).toBe(true);
    expect(rows.find((r) => r.id === b.id)).toMatchObject({ is_active: false, is_primary: false });
  });

  it("leaves no primary when the deleted primary was the only active address", async () => {
    const org = uniqueOrg();
    const a = await add(org, { address: "a@example.com" });
    const b = await add(org, { address: "b@example.com" });
    await makePrimary(org, a.id);
    await update(org, b.id, { is_active: false });
    expect((await call("DELETE", at(a.id), { org })).status).toBe(204);
    const rows = await list(org);
    expect(rows.map((r) => r.id)).toEqual([b.id]);
    expect(primaries(rows)).toEqual([]);
  });

  it("does not change the primary when another address is deleted", async () => {
    const org = uniqueOrg();
    const a = await add(org, { address: "a@example.com" });
    const b = await add(org, { address: "b@example.com" });
    const c = await add(org, { address: "c@example.com" });
    await makePrimary(org, c.id);
    expect((await call("DELETE", at(a.id), { org })).status).toBe(204);
    expect(primaries(await list(org))).toEqual(["c@example.com"]);
    expect((await get(org, b.id)).is_primary).toBe(false);
  });

  it("does not invent a primary when an org without one deletes an address", async () => {
    const org = uniqueOrg();
    const a = await add(org, { address: "a@example.com" });
    await add(org, { address: "b@example.com" });
    expect((await call("DELETE", at(a.id), { org })).status).toBe(204);
    expect(primaries(await list(org))).toEqual([]);
  });
});
