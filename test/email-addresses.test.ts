import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type EmailAddressResponse, EmailAddressResponseSchema } from "@/schemas/email-addresses";
import { SharedInboxResponseSchema } from "@/schemas/shared-inboxes";
import { call, expectBody, expectError, uniqueOrg } from "./helpers/api";

const BASE = "/v2/email-settings/email-addresses";
const PRIMARY = `${BASE}/primary`;
const PROVISION = `${BASE}/epilot:provision`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const AddressList = z.array(EmailAddressResponseSchema);

const at = (idOrAddress: string) => `${BASE}/${encodeURIComponent(idOrAddress)}`;

async function add(org: string, body: Record<string, unknown>, user?: string): Promise<EmailAddressResponse> {
  return expectBody(await call("POST", BASE, { org, user, body }), 201, EmailAddressResponseSchema);
}

async function list(org: string): Promise<EmailAddressResponse[]> {
  return expectBody(await call("GET", BASE, { org }), 200, AddressList);
}

async function get(org: string, idOrAddress: string): Promise<EmailAddressResponse> {
  return expectBody(await call("GET", at(idOrAddress), { org }), 200, EmailAddressResponseSchema);
}

async function update(org: string, idOrAddress: string, body: Record<string, unknown>, user?: string) {
  return expectBody(await call("PUT", at(idOrAddress), { org, user, body }), 200, EmailAddressResponseSchema);
}

async function makePrimary(org: string, address: string, user?: string) {
  return expectBody(await call("POST", PRIMARY, { org, user, body: { address } }), 200, EmailAddressResponseSchema);
}

async function provision(org: string, address: string, user?: string) {
  return expectBody(await call("PUT", PROVISION, { org, user, body: { address } }), 200, EmailAddressResponseSchema);
}

async function createInbox(org: string, name = "Support"): Promise<string> {
  const resp = await call("POST", "/v2/email-settings/shared-inboxes", { org, body: { name, color: "#123456" } });
  return expectBody(resp, 201, SharedInboxResponseSchema).id;
}

async function createSignature(org: string): Promise<string> {
  const resp = await call("POST", "/v1/email-settings", {
    org,
    body: { type: "signature", name: "Sig", html: "<p>x</p>" },
  });
  const body = expectBody(resp, 200, z.object({ id: z.string().min(1), type: z.literal("signature") }));
  return body.id;
}

/** Platform addresses are unique across orgs, so every test needs its own. */
const epilot = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}@epilot.cloud`;

const primaries = (rows: EmailAddressResponse[]) => rows.filter((r) => r.is_primary).map((r) => r.address);

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
