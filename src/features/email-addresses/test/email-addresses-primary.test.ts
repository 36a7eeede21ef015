import { call, expectError, uniqueOrg } from "@test/helpers/api";
import { add, get, list, makePrimary, PRIMARY, primaries, update } from "@test/helpers/email-addresses";
import { describe, expect, it } from "vitest";

describe("setEmailAddressPrimary", () => {
  it("makes an address primary and unsets the previous primary", async () => {
    const org = uniqueOrg();
    const a = await add(org, { address: "a@example.com" });
    const b = await add(org, { address: "b@example.com" });

    const first = await makePrimary(org, a.address, "u-7");
    expect(first).toMatchObject({ id: a.id, is_primary: true, updated_by: "u-7" });
    expect(primaries(await list(org))).toEqual(["a@example.com"]);

    const second = await makePrimary(org, b.id);
    expect(second).toMatchObject({ id: b.id, is_primary: true });
    const rows = await list(org);
    expect(primaries(rows)).toEqual(["b@example.com"]);
    expect(rows.find((r) => r.id === a.id)?.is_primary).toBe(false);
  });

  it("accepts the address in any case and with surrounding spaces", async () => {
    const org = uniqueOrg();
    const a = await add(org, { address: "sales@example.com" });
    expect((await makePrimary(org, "  SALES@Example.com ")).id).toBe(a.id);
    expect((await get(org, a.id)).is_primary).toBe(true);
  });

  it("is idempotent for the address that is already primary", async () => {
    const org = uniqueOrg();
    await add(org, { address: "a@example.com" });
    const b = await add(org, { address: "b@example.com" });
    await makePrimary(org, b.id);
    const again = await makePrimary(org, b.address);
    expect(again).toMatchObject({ id: b.id, is_primary: true });
    expect(primaries(await list(org))).toEqual(["b@example.com"]);
  });

  it("answers 404 for an unknown address or id", async () => {
    const org = uniqueOrg();
    const a = await add(org, { address: "a@example.com" });
    await makePrimary(org, a.id);
    expectError(await call("POST", PRIMARY, { org, body: { address: "nobody@example.com" } }), 404, /not found/);
    expectError(await call("POST", PRIMARY, { org, body: { address: crypto.randomUUID() } }), 404, /not found/);
    expect(primaries(await list(org))).toEqual(["a@example.com"]);
  });

  it("refuses an inactive address with 409 and keeps the current primary", async () => {
    const org = uniqueOrg();
    const a = await add(org, { address: "a@example.com" });
    const b = await add(org, { address: "b@example.com" });
    await makePrimary(org, a.id);
    await update(org, b.id, { is_active: false });
    expectError(await call("POST", PRIMARY, { org, body: { address: b.address } }), 409, /inactive/);
    const rows = await list(org);
    expect(primaries(rows)).toEqual(["a@example.com"]);
    expect(rows.find((r) => r.id === b.id)).toMatchObject({ is_active: false, is_primary: false });
  });

  it("rejects a missing or empty address and malformed JSON with 400", async () => {
    const org = uniqueOrg();
    expectError(await call("POST", PRIMARY, { org, body: {} }), 400, /address/);
    expectError(await call("POST", PRIMARY, { org, body: { address: "  " } }), 400, /address/);
    expectError(await call("POST", PRIMARY, { org, body: { address: 42 } }), 400, /address/);
    expectError(await call("POST", PRIMARY, { org, rawBody: "{" }), 400, /json/i);
  });
});
