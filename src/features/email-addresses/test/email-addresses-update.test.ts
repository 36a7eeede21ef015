import { call, expectError, uniqueOrg } from "@test/helpers/api";
import { add, at, createInbox, createSignature, get, list, makePrimary, update } from "@test/helpers/email-addresses";
import { describe, expect, it } from "vitest";

describe("updateEmailAddress", () => {
  it("changes only the given fields and records the caller as updated_by", async () => {
    const org = uniqueOrg();
    const created = await add(
      org,
      { address: "sales@example.com", name: "Sales", user_ids: ["u-1"], group_ids: ["g-1"] },
      "creator",
    );
    const updated = await update(org, created.id, { name: "Sales EU" }, "editor");
    expect(updated).toMatchObject({
      id: created.id,
      address: "sales@example.com",
      name: "Sales EU",
      user_ids: ["u-1"],
      group_ids: ["g-1"],
      shared_inbox_id: "default",
      is_active: true,
      is_primary: false,
      created_by: "creator",
      updated_by: "editor",
      created_at: created.created_at,
    });
    expect(Date.parse(updated.updated_at ?? "")).toBeGreaterThanOrEqual(Date.parse(created.created_at));
    expect(await get(org, created.id)).toEqual(updated);
  });

  it("persists user_ids, group_ids and is_active changes", async () => {
    const org = uniqueOrg();
    const created = await add(org, { address: "sales@example.com", user_ids: ["u-1"], group_ids: ["g-1"] });
    await update(org, created.id, { user_ids: ["u-2", "u-3"], group_ids: [] });
    let stored = await get(org, created.id);
    expect(stored.user_ids).toEqual(["u-2", "u-3"]);
    expect(stored.group_ids).toEqual([]);
    expect(stored.is_active).toBe(true);

    await update(org, created.id, { is_active: false });
    stored = await get(org, created.id);
    expect(stored.is_active).toBe(false);
    expect(stored.user_ids).toEqual(["u-2", "u-3"]);

    await update(org, created.id, { is_active: true });
    expect((await get(org, created.id)).is_active).toBe(true);
  });

  it("accepts the address itself, in any case, as the id", async () => {
    const org = uniqueOrg();
    const created = await add(org, { address: "sales@example.com" });
    const updated = await update(org, "SALES@Example.COM", { name: "Renamed" });
    expect(updated.id).toBe(created.id);
    expect((await get(org, created.id)).name).toBe("Renamed");
  });

  it("with an empty body keeps every field and still records the caller", async () => {
    const org = uniqueOrg();
    const created = await add(org, { address: "sales@example.com", name: "Sales" }, "creator");
    const updated = await update(org, created.id, {}, "editor");
    expect(updated).toMatchObject({ name: "Sales", is_active: true, updated_by: "editor", created_by: "creator" });
  });

  it("sets the shared inbox to one of the org's inboxes and rejects unknown or foreign inboxes", async () => {
    const org = uniqueOrg();
    const inbox = await createInbox(org);
    const foreign = await createInbox(uniqueOrg());
    const created = await add(org, { address: "sales@example.com" });

    expect((await update(org, created.id, { shared_inbox_id: inbox })).shared_inbox_id).toBe(inbox);
    for (const bad of ["no-such-inbox", foreign]) {
      expectError(
        await call("PUT", at(created.id), { org, body: { shared_inbox_id: bad, name: "ignored" } }),
        400,
        /shared_inbox_id/,
      );
    }
    const stored = await get(org, created.id);
    expect(stored.shared_inbox_id).toBe(inbox);
    expect(stored.name).toBeUndefined();
    expect((await update(org, created.id, { shared_inbox_id: "default" })).shared_inbox_id).toBe("default");
  });

  it("sets, rejects and clears the default signature", async () => {
    const org = uniqueOrg();
    const sig = await createSignature(org);
    const foreignSig = await createSignature(uniqueOrg());
    const created = await add(org, { address: "sales@example.com" });

    expect((await update(org, created.id, { default_signature_id: sig })).default_signature_id).toBe(sig);
    for (const bad of ["no-such-signature", foreignSig]) {
      expectError(
        await call("PUT", at(created.id), { org, body: { default_signature_id: bad } }),
        400,
        /default_signature_id/,
      );
    }
    expect((await get(org, created.id)).default_signature_id).toBe(sig);

    const cleared = await update(org, created.id, { default_signature_id: null });
    expect(cleared.default_signature_id).toBeUndefined();
    expect((await get(org, created.id)).default_signature_id).toBeUndefined();
  });

  it("answers 404 for an unknown id", async () => {
    const org = uniqueOrg();
    expectError(await call("PUT", at(crypto.randomUUID()), { org, body: { name: "x" } }), 404, /not found/);
    expectError(await call("PUT", at("nobody@example.com"), { org, body: { name: "x" } }), 404, /not found/);
    expect(await list(org)).toEqual([]);
  });

  it("refuses to deactivate the primary address with 409", async () => {
    const org = uniqueOrg();
    const created = await add(org, { address: "sales@example.com" });
    await makePrimary(org, created.id);
    expectError(
      await call("PUT", at(created.id), { org, body: { is_active: false, name: "changed" } }),
      409,
      /primary/,
    );
    const stored = await get(org, created.id);
    expect(stored).toMatchObject({ is_active: true, is_primary: true });
    expect(stored.name).toBeUndefined();
    // Other changes to the primary are fine.
    expect((await update(org, created.id, { name: "Main", is_active: true })).is_primary).toBe(true);
  });

  it("rejects invalid field types and malformed JSON with 400", async () => {
    const org = uniqueOrg();
    const created = await add(org, { address: "sales@example.com" });
    expectError(await call("PUT", at(created.id), { org, body: { is_active: "no" } }), 400, /is_active/);
    expectError(await call("PUT", at(created.id), { org, body: { user_ids: [""] } }), 400, /user_ids/);
    expectError(await call("PUT", at(created.id), { org, body: { name: "x".repeat(257) } }), 400, /name/);
    expectError(await call("PUT", at(created.id), { org, rawBody: "{" }), 400, /json/i);
    expect(await get(org, created.id)).toEqual(created);
  });
});
