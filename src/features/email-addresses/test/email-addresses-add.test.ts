import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { add, BASE, createInbox, createSignature, get, list, UUID } from "@test/helpers/email-addresses";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { EmailAddressResponseSchema } from "@/features/email-addresses/email-addresses.schemas";

describe("addEmailAddress", () => {
  it("creates an active, non-primary address with defaults and audit fields", async () => {
    const org = uniqueOrg();
    const resp = await call("POST", BASE, { org, user: "u-42", body: { address: "sales@example.com" } });
    const created = expectBody(resp, 201, EmailAddressResponseSchema);
    expect(created).toMatchObject({
      address: "sales@example.com",
      is_active: true,
      is_primary: false,
      is_epilot_email_address: false,
      shared_inbox_id: "default",
      user_ids: [],
      group_ids: [],
      created_by: "u-42",
      updated_by: "u-42",
    });
    expect(created.id).toMatch(UUID);
    expect(created.name).toBeUndefined();
    expect(created.default_signature_id).toBeUndefined();
    expect(created.updated_at).toBe(created.created_at);

    expect(await get(org, created.id)).toEqual(created);
    expect(await list(org)).toEqual([created]);
  });

  it("trims and lowercases the address and stores name, user_ids and group_ids", async () => {
    const org = uniqueOrg();
    const created = await add(org, {
      address: "  Sales.Team@Example.COM \t",
      name: "  Sales team ",
      user_ids: ["u-1", "u-2"],
      group_ids: ["g-1"],
    });
    expect(created.address).toBe("sales.team@example.com");
    expect(created.name).toBe("Sales team");
    expect(created.user_ids).toEqual(["u-1", "u-2"]);
    expect(created.group_ids).toEqual(["g-1"]);
    expect(await get(org, created.id)).toEqual(created);
  });

  it.each([
    ["not an address", "not-an-email"],
    ["no domain dot", "a@localhost"],
    ["empty local part", "@example.com"],
    ["two @", "a@b@example.com"],
    ["space inside", "a b@example.com"],
    ["empty string", ""],
    ["only spaces", "   "],
    ["IP literal domain", "a@127.0.0.1"],
    ["too long", `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.com`],
  ])("rejects an invalid address (%s) with 400 naming the field", async (_label, address) => {
    const org = uniqueOrg();
    expectError(await call("POST", BASE, { org, body: { address } }), 400, /address/);
    expect(await list(org)).toEqual([]);
  });

  it("rejects a missing address with 400 naming the field", async () => {
    const org = uniqueOrg();
    expectError(await call("POST", BASE, { org, body: { name: "x" } }), 400, /address/);
    expect(await list(org)).toEqual([]);
  });

  it.each([
    ["address", { address: 123 }],
    ["name", { address: "a@example.com", name: 5 }],
    ["user_ids", { address: "a@example.com", user_ids: "u-1" }],
    ["group_ids", { address: "a@example.com", group_ids: [1, 2] }],
    ["shared_inbox_id", { address: "a@example.com", shared_inbox_id: 7 }],
    ["default_signature_id", { address: "a@example.com", default_signature_id: false }],
  ])("rejects a wrong type for %s with 400 naming the field", async (field, body) => {
    const org = uniqueOrg();
    expectError(await call("POST", BASE, { org, body }), 400, new RegExp(field));
    expect(await list(org)).toEqual([]);
  });

  it("rejects a body that is not an object, a missing body and malformed JSON with 400", async () => {
    const org = uniqueOrg();
    expectError(await call("POST", BASE, { org, body: ["a@example.com"] }), 400);
    expectError(await call("POST", BASE, { org, body: "a@example.com" }), 400);
    expectError(await call("POST", BASE, { org }), 400);
    expectError(await call("POST", BASE, { org, rawBody: "{" }), 400, /json/i);
    expect(await list(org)).toEqual([]);
  });

  it("refuses a second address equal case-insensitively with 409, keeping the first", async () => {
    const org = uniqueOrg();
    const first = await add(org, { address: "sales@example.com", name: "First" });
    expectError(
      await call("POST", BASE, { org, body: { address: " SALES@Example.com ", name: "Second" } }),
      409,
      /already exists/,
    );
    expect(await list(org)).toEqual([first]);
  });

  it("allows the same address in a different org", async () => {
    const orgA = uniqueOrg();
    const orgB = uniqueOrg();
    const a = await add(orgA, { address: "shared@example.com" });
    const b = await add(orgB, { address: "Shared@Example.com" });
    expect(b.id).not.toBe(a.id);
    expect(b.address).toBe("shared@example.com");
    expect(await list(orgA)).toEqual([a]);
    expect(await list(orgB)).toEqual([b]);
  });

  it.each(["info@epilot.cloud", "  INFO@Epilot.Cloud ", "team@eu.epilot.cloud"])(
    "refuses platform addresses (%j) with 400 naming the field",
    async (address) => {
      const org = uniqueOrg();
      expectError(await call("POST", BASE, { org, body: { address } }), 400, /address.*epilot\.cloud/);
      expect(await list(org)).toEqual([]);
    },
  );

  it("accepts an existing shared inbox of the org and the explicit default inbox", async () => {
    const org = uniqueOrg();
    const inbox = await createInbox(org);
    const withInbox = await add(org, { address: "a@example.com", shared_inbox_id: inbox });
    expect(withInbox.shared_inbox_id).toBe(inbox);
    const withDefault = await add(org, { address: "b@example.com", shared_inbox_id: "default" });
    expect(withDefault.shared_inbox_id).toBe("default");
    expect((await get(org, withInbox.id)).shared_inbox_id).toBe(inbox);
  });

  it("rejects an unknown shared inbox and another org's inbox with 400", async () => {
    const org = uniqueOrg();
    const otherOrg = uniqueOrg();
    const foreignInbox = await createInbox(otherOrg);
    expectError(
      await call("POST", BASE, { org, body: { address: "a@example.com", shared_inbox_id: "no-such-inbox" } }),
      400,
      /shared_inbox_id/,
    );
    expectError(
      await call("POST", BASE, { org, body: { address: "a@example.com", shared_inbox_id: foreignInbox } }),
      400,
      /shared_inbox_id/,
    );
    expect(await list(org)).toEqual([]);
  });

  it("accepts a signature of the org as default_signature_id", async () => {
    const org = uniqueOrg();
    const sig = await createSignature(org);
    const created = await add(org, { address: "a@example.com", default_signature_id: sig });
    expect(created.default_signature_id).toBe(sig);
    expect((await get(org, created.id)).default_signature_id).toBe(sig);
  });

  it("stores both a shared inbox and a signature, and still refuses a duplicate with 409", async () => {
    const org = uniqueOrg();
    const inbox = await createInbox(org);
    const sig = await createSignature(org);
    const created = await add(org, { address: "a@example.com", shared_inbox_id: inbox, default_signature_id: sig });
    expect(created).toMatchObject({ shared_inbox_id: inbox, default_signature_id: sig });
    expectError(
      await call("POST", BASE, {
        org,
        body: { address: "A@example.com", shared_inbox_id: inbox, default_signature_id: sig },
      }),
      409,
      /already exists/,
    );
    expect(await list(org)).toEqual([created]);
  });

  it("rejects an unknown signature, another org's signature and a non-signature setting with 400", async () => {
    const org = uniqueOrg();
    const foreignSig = await createSignature(uniqueOrg());
    const domain = await call("POST", "/v1/email-settings", {
      org,
      body: { type: "email_domain", value: "example.com" },
    });
    const domainId = expectBody(domain, 200, z.object({ id: z.string() })).id;
    for (const id of ["no-such-signature", foreignSig, domainId]) {
      expectError(
        await call("POST", BASE, { org, body: { address: "a@example.com", default_signature_id: id } }),
        400,
        /default_signature_id/,
      );
    }
    expect(await list(org)).toEqual([]);
  });
});
