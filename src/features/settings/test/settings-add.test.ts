import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { add, getOne, list, SETTINGS, signature } from "@test/helpers/settings";
import { describe, expect, it } from "vitest";
import { SettingSchema } from "@/features/settings/settings.schemas";

describe("POST /v1/email-settings (add)", () => {
  it("returns the stored setting with its server-owned fields", async () => {
    const org = uniqueOrg();
    const created = await add(org, { type: "email_domain", value: "example.com", name: "Main" }, "user-7");
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created).toMatchObject({
      org_id: org,
      type: "email_domain",
      name: "Main",
      value: "example.com",
      created_by: "user-7",
      updated_by: "user-7",
    });
    expect(Date.parse(created.created_at ?? "")).not.toBeNaN();
    expect(created.updated_at).toBe(created.created_at);
    expect(expectBody(await getOne(org, "email_domain", created.id ?? ""), 200, SettingSchema)).toEqual(created);
  });

  it.each([
    [{}, /type/],
    [{ type: "unknown", value: "x" }, /type/],
    [{ type: "signature", name: 5, html: "<p>x</p>" }, /name/],
    [{ type: "signature", name: "x", html: 5 }, /html/],
    [{ type: "email_domain", value: true }, /value/],
    [{ type: "email_domain", value: null }, /value/],
  ])("refuses %j with 400", async (body, pattern) => {
    const org = uniqueOrg();
    expectError(await call("POST", SETTINGS, { org, body }), 400, pattern);
  });

  it("refuses a body that is not an object", async () => {
    const org = uniqueOrg();
    expectError(await call("POST", SETTINGS, { org, body: [signature()] }), 400);
    expectError(await call("POST", SETTINGS, { org, rawBody: "{not json" }), 400);
  });

  describe("additional properties", () => {
    it("are stored and echoed back", async () => {
      const org = uniqueOrg();
      const created = await add(org, {
        type: "whitelist_email_address",
        value: "vip@example.com",
        comment: "our best customer",
        priority: 3,
        tags: ["a", "b"],
        meta: { source: "import" },
      });
      expect(created).toMatchObject({
        comment: "our best customer",
        priority: 3,
        tags: ["a", "b"],
        meta: { source: "import" },
      });
      const got = expectBody(await getOne(org, "whitelist_email_address", created.id ?? ""), 200, SettingSchema);
      expect(got).toEqual(created);
    });

    it("cannot override server-owned fields", async () => {
      const org = uniqueOrg();
      const created = await add(
        org,
        {
          type: "email_address",
          value: "info@example.com",
          id: "chosen-id",
          org_id: "someone-else",
          created_at: "2000-01-01T00:00:00.000Z",
          updated_at: "2000-01-01T00:00:00.000Z",
          created_by: "mallory",
          updated_by: "mallory",
        },
        "real-user",
      );
      expect(created.id).not.toBe("chosen-id");
      expect(created.org_id).toBe(org);
      expect(created.created_at).not.toBe("2000-01-01T00:00:00.000Z");
      expect(created.updated_at).not.toBe("2000-01-01T00:00:00.000Z");
      expect(created.created_by).toBe("real-user");
      expect(created.updated_by).toBe("real-user");
      expectError(await getOne(org, "email_address", "chosen-id"), 404);
      const got = expectBody(await getOne(org, "email_address", created.id ?? ""), 200, SettingSchema);
      expect(got).toEqual(created);
      expectError(await getOne("someone-else", "email_address", created.id ?? ""), 404);
    });
  });

  describe("whitelist_email_address", () => {
    it("stores the address trimmed and lowercased", async () => {
      const org = uniqueOrg();
      const created = await add(org, { type: "whitelist_email_address", value: "  VIP@Example.COM " });
      expect(created.value).toBe("vip@example.com");
      expect((await list(org, "whitelist_email_address")).map((s) => s.value)).toEqual(["vip@example.com"]);
    });

    it.each([undefined, "", "not-an-address", "a@localhost", "a@b@example.com", "@example.com", 42])(
      "refuses the value %j with 400",
      async (value) => {
        const org = uniqueOrg();
        const resp = await call("POST", SETTINGS, { org, body: { type: "whitelist_email_address", value } });
        expectError(resp, 400, /value/);
        expect(await list(org, "whitelist_email_address")).toEqual([]);
      },
    );

    it("refuses an address already listed with 409, whatever its case", async () => {
      const org = uniqueOrg();
      await add(org, { type: "whitelist_email_address", value: "vip@example.com" });
      const resp = await call("POST", SETTINGS, {
        org,
        body: { type: "whitelist_email_address", value: "VIP@example.com" },
      });
      expectError(resp, 409, /vip@example\.com/);
      expect(await list(org, "whitelist_email_address")).toHaveLength(1);
    });

    it("lets another org and another type use the same address", async () => {
      const org = uniqueOrg();
      await add(org, { type: "whitelist_email_address", value: "vip@example.com" });
      await add(org, { type: "email_address", value: "vip@example.com" });
      await add(uniqueOrg(), { type: "whitelist_email_address", value: "vip@example.com" });
      expect(await list(org, "whitelist_email_address")).toHaveLength(1);
      expect(await list(org, "email_address")).toHaveLength(1);
    });
  });

  describe("email_address", () => {
    it("stores a valid address lowercased", async () => {
      const org = uniqueOrg();
      const created = await add(org, { type: "email_address", value: "Sales@Example.com", name: "Sales" });
      expect(created).toMatchObject({ value: "sales@example.com", name: "Sales" });
    });

    it.each([undefined, "", "sales", "sales@", "sales@example", "sales @example.com"])(
      "refuses the value %j with 400",
      async (value) => {
        const org = uniqueOrg();
        const resp = await call("POST", SETTINGS, { org, body: { type: "email_address", value } });
        expectError(resp, 400, /value/);
        expect(await list(org, "email_address")).toEqual([]);
      },
    );

    it("refuses a duplicate with 409", async () => {
      const org = uniqueOrg();
      await add(org, { type: "email_address", value: "sales@example.com" });
      const resp = await call("POST", SETTINGS, { org, body: { type: "email_address", value: " SALES@example.com" } });
      expectError(resp, 409, /sales@example\.com/);
      expect(await list(org, "email_address")).toHaveLength(1);
    });
  });

  describe("email_domain", () => {
    it.each([
      ["example.com", "example.com"],
      ["Mail.Example.COM", "mail.example.com"],
      ["mail.example.com.", "mail.example.com"],
      ["  sub.example.co.uk  ", "sub.example.co.uk"],
    ])("stores %j as %j", async (value, stored) => {
      const org = uniqueOrg();
      const created = await add(org, { type: "email_domain", value });
      expect(created.value).toBe(stored);
      expect((await list(org, "email_domain")).map((s) => s.value)).toEqual([stored]);
    });

    it.each([
      undefined,
      "",
      "localhost",
      "not a domain",
      "1.2.3.4",
      "example",
      "-bad.example.com",
      "https://example.com",
      "user@example.com",
    ])("refuses the value %j with 400", async (value) => {
      const org = uniqueOrg();
      const resp = await call("POST", SETTINGS, { org, body: { type: "email_domain", value } });
      expectError(resp, 400, /value/);
      expect(await list(org, "email_domain")).toEqual([]);
    });

    it("refuses a duplicate with 409, after normalization", async () => {
      const org = uniqueOrg();
      await add(org, { type: "email_domain", value: "example.com" });
      const resp = await call("POST", SETTINGS, { org, body: { type: "email_domain", value: "EXAMPLE.com." } });
      expectError(resp, 409, /example\.com/);
      expect(await list(org, "email_domain")).toHaveLength(1);
    });
  });
});

describe("email_domain settings are custom domains", () => {
  it("applies the custom-domain rules and answers with the same row the domain API sees", async () => {
    const org = uniqueOrg();
    const post = (value: string) => call("POST", "/v1/email-settings", { org, body: { type: "email_domain", value } });
    expectError(await post("printer.local"), 400, /value: .*reserved/);
    expectError(await post("10.0.0.1"), 400, /value: .*IP address/);
    const created = await add(org, {
      type: "email_domain",
      value: "Mail.Example.NET.",
      name: "Main",
      status: "verified",
    });
    expect(created).toMatchObject({ type: "email_domain", value: "mail.example.net", name: "Main" });
    // A client cannot fake the verification state through additional properties.
    expect(created).not.toHaveProperty("status", "verified");
    const domains = await call("GET", "/v1/email-settings/domain", { org });
    expect(domains.status).toBe(200);
    const listed = (domains.body as Array<{ id: string; status: string }>).find((d) => d.id === created.id);
    expect(listed?.status).toBe("pending");
  });
});
