import { describe, expect, it } from "vitest";
import { z } from "zod";
import { EmailAddressResponseSchema } from "@/schemas/email-addresses";
import { type Setting, SettingSchema } from "@/schemas/settings";
import { call, expectBody, expectError, uniqueOrg } from "./helpers/api";

const SETTINGS = "/v1/email-settings";
const ADDRESSES = "/v2/email-settings/email-addresses";
const SettingListSchema = z.array(SettingSchema);

/** A restrict_duplicates_within setting carries its window in milliseconds. */
const DuplicateWindowSchema = SettingSchema.extend({ value: z.string(), duration_ms: z.number().int().min(0) });

async function add(org: string, body: Record<string, unknown>, user?: string) {
  return expectBody(await call("POST", SETTINGS, { org, user, body }), 200, SettingSchema);
}

async function update(org: string, id: string, body: Record<string, unknown>, user?: string) {
  return call("POST", `${SETTINGS}/${encodeURIComponent(id)}`, { org, user, body });
}

async function getOne(org: string, type: string, id: string) {
  return call("GET", `${SETTINGS}?type=${type}&id=${encodeURIComponent(id)}`, { org });
}

async function list(org: string, type: string): Promise<Setting[]> {
  return expectBody(await call("GET", `${SETTINGS}?type=${type}`, { org }), 200, SettingListSchema);
}

async function remove(org: string, id: string, type: string) {
  return call("DELETE", SETTINGS, { org, body: { id, type } });
}

const signature = (extra: Record<string, unknown> = {}) => ({
  type: "signature",
  name: "Default Signature",
  html: "<p>Best regards</p>",
  ...extra,
});

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

  describe("signature", () => {
    it("needs a name", async () => {
      const org = uniqueOrg();
      expectError(await call("POST", SETTINGS, { org, body: { type: "signature", html: "<p>x</p>" } }), 400, /name/);
      expectError(await call("POST", SETTINGS, { org, body: signature({ name: "   " }) }), 400, /name/);
      expect(await list(org, "signature")).toEqual([]);
    });

    it("needs html or value", async () => {
      const org = uniqueOrg();
      expectError(await call("POST", SETTINGS, { org, body: { type: "signature", name: "S" } }), 400, /html/);
      const empty = { type: "signature", name: "S", html: "", value: "" };
      expectError(await call("POST", SETTINGS, { org, body: empty }), 400, /html/);
      expect(await list(org, "signature")).toEqual([]);
    });

    it.each(["<script>alert(1)</script>", "   ", " <style>p {}</style> \n"])(
      "refuses html %j that is empty once sanitized",
      async (html) => {
        const org = uniqueOrg();
        expectError(await call("POST", SETTINGS, { org, body: signature({ html }) }), 400, /html/);
        expectError(
          await call("POST", SETTINGS, { org, body: { type: "signature", name: "S", value: html } }),
          400,
          /html/,
        );
        expect(await list(org, "signature")).toEqual([]);
      },
    );

    it("accepts a value without html", async () => {
      const org = uniqueOrg();
      const created = await add(org, { type: "signature", name: "Plain", value: "Jane Doe, Sales" });
      expect(created.value).toBe("Jane Doe, Sales");
      expect(created.html).toBeUndefined();
    });

    it("trims the name", async () => {
      const org = uniqueOrg();
      expect((await add(org, signature({ name: "  Team  " }))).name).toBe("Team");
    });

    it("sanitizes the html and keeps formatting, links and images", async () => {
      const org = uniqueOrg();
      const html = [
        "<p>Best <b>regards</b>, <i>Jane</i></p>",
        '<a href="https://example.com/about" onclick="steal()">About us</a>',
        '<img src="https://cdn.example.com/logo.png" alt="Logo" onerror="steal()">',
        "<script>steal()</script>",
        "<style>p { display: none }</style>",
        '<iframe src="https://evil.example">frame</iframe>',
        '<object data="https://evil.example/x.swf">obj</object>',
        '<a href="javascript:steal()">bad link</a>',
        '<span style="color:#336699">blue</span>',
      ].join("");
      const created = await add(org, signature({ html }));
      const stored = expectBody(await getOne(org, "signature", created.id ?? ""), 200, SettingSchema);
      expect(stored.html).toBe(created.html);
      const out = stored.html ?? "";
      for (const bad of ["<script", "<style", "<iframe", "<object", "onclick", "onerror", "javascript:", "steal"]) {
        expect(out).not.toContain(bad);
      }
      expect(out).not.toContain("display: none");
      expect(out).not.toContain("frame</");
      expect(out).toContain("<p>Best <b>regards</b>, <i>Jane</i></p>");
      expect(out).toContain('<a href="https://example.com/about">About us</a>');
      expect(out).toContain('<img src="https://cdn.example.com/logo.png" alt="Logo">');
      expect(out).toContain("bad link</a>");
      expect(out).toMatch(/<span style="color:#336699;?">blue<\/span>/);
    });

    it("sanitizes a value given as HTML too", async () => {
      const org = uniqueOrg();
      const created = await add(org, {
        type: "signature",
        name: "V",
        value: '<b>Jane</b><img src="x" onerror="alert(1)"><script>alert(2)</script>',
      });
      expect(created.value).toContain("<b>Jane</b>");
      expect(created.value).not.toMatch(/onerror|alert|<script/);
    });

    it("refuses html larger than 512 KiB", async () => {
      const org = uniqueOrg();
      const body = signature({ html: `<p>${"a".repeat(512 * 1024)}</p>` });
      expectError(await call("POST", SETTINGS, { org, body }), 400, /html/);
    });

    it("allows two signatures with the same name", async () => {
      const org = uniqueOrg();
      await add(org, signature({ name: "Same" }));
      await add(org, signature({ name: "Same" }));
      expect(await list(org, "signature")).toHaveLength(2);
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

  describe("restrict_duplicates_within", () => {
    it.each([
      ["10s", "10s", 10_000],
      ["5m", "5m", 300_000],
      ["1d", "1d", 86_400_000],
      ["5M", "5m", 300_000],
      ["60000", "60000", 60_000],
      [60000, "60000", 60_000],
      ["-5m", "5m", 300_000],
      ["-60000", "60000", 60_000],
      [-60000, "60000", 60_000],
      ["0", "0", 0],
      [0, "0", 0],
    ])("stores %j as %j (%i ms)", async (value, stored, ms) => {
      const org = uniqueOrg();
      const resp = await call("POST", SETTINGS, { org, body: { type: "restrict_duplicates_within", value } });
      const created = expectBody(resp, 200, DuplicateWindowSchema);
      expect(created.value).toBe(stored);
      expect(created.duration_ms).toBe(ms);
      const listed = await list(org, "restrict_duplicates_within");
      expect(listed).toEqual([created]);
      expect(DuplicateWindowSchema.parse(listed[0]).duration_ms).toBe(ms);
    });

    it.each([undefined, "", "soon", "5 minutes", "5x", "1e5", true, 1e300])(
      "refuses the value %j with 400",
      async (value) => {
        const org = uniqueOrg();
        const resp = await call("POST", SETTINGS, { org, body: { type: "restrict_duplicates_within", value } });
        expectError(resp, 400, /value/);
        expect(await list(org, "restrict_duplicates_within")).toEqual([]);
      },
    );

    it("replaces the org's one setting when added again", async () => {
      const org = uniqueOrg();
      const first = expectBody(
        await call("POST", SETTINGS, {
          org,
          user: "alice",
          body: { type: "restrict_duplicates_within", value: "10s", note: "first" },
        }),
        200,
        DuplicateWindowSchema,
      );
      const second = expectBody(
        await call("POST", SETTINGS, {
          org,
          user: "bob",
          body: { type: "restrict_duplicates_within", value: "5m", note: "second" },
        }),
        200,
        DuplicateWindowSchema,
      );
      expect(second.id).toBe(first.id);
      expect(second).toMatchObject({
        value: "5m",
        duration_ms: 300_000,
        note: "second",
        created_at: first.created_at,
        created_by: "alice",
        updated_by: "bob",
      });
      const listed = await list(org, "restrict_duplicates_within");
      expect(listed).toEqual([second]);
    });

    it("keeps a single row when added concurrently", async () => {
      const org = uniqueOrg();
      const values = ["10s", "5m", "1d", "0"];
      const responses = await Promise.all(
        values.map((value) => call("POST", SETTINGS, { org, body: { type: "restrict_duplicates_within", value } })),
      );
      const ids = new Set(responses.map((r) => expectBody(r, 200, DuplicateWindowSchema).id));
      expect(ids.size).toBe(1);
      const listed = await list(org, "restrict_duplicates_within");
      expect(listed).toHaveLength(1);
      expect(values).toContain(listed[0]?.value);
    });

    it("keeps one setting per org", async () => {
      const orgA = uniqueOrg("a");
      const orgB = uniqueOrg("b");
      const a = await add(orgA, { type: "restrict_duplicates_within", value: "10s" });
      const b = await add(orgB, { type: "restrict_duplicates_within", value: "1d" });
      expect(a.id).not.toBe(b.id);
      expect((await list(orgA, "restrict_duplicates_within")).map((s) => s.value)).toEqual(["10s"]);
      expect((await list(orgB, "restrict_duplicates_within")).map((s) => s.value)).toEqual(["1d"]);
    });
  });
});

describe("POST /v1/email-settings/{id} (update)", () => {
  it("changes only the fields sent and records the updater", async () => {
    const org = uniqueOrg();
    const created = await add(org, signature({ name: "Old", html: "<p>old</p>", label: "x" }), "alice");

    const renamed = expectBody(
      await update(org, created.id ?? "", { type: "signature", name: "New" }, "bob"),
      200,
      SettingSchema,
    );
    expect(renamed).toMatchObject({
      id: created.id,
      org_id: org,
      type: "signature",
      name: "New",
      html: "<p>old</p>",
      label: "x",
      created_at: created.created_at,
      created_by: "alice",
      updated_by: "bob",
    });

    const rehtml = expectBody(
      await update(org, created.id ?? "", { type: "signature", html: "<p>new</p>", extra: 1 }),
      200,
      SettingSchema,
    );
    expect(rehtml).toMatchObject({ name: "New", html: "<p>new</p>", label: "x", extra: 1 });

    const stored = expectBody(await getOne(org, "signature", created.id ?? ""), 200, SettingSchema);
    expect(stored).toEqual(rehtml);
    expect(await list(org, "signature")).toHaveLength(1);
  });

  it("does not alter stored html when only the name changes", async () => {
    const org = uniqueOrg();
    const html = '<p style="color:#ff0000">a < b & "c" <a href="https://example.com/?q=1&amp;r=2">x</a></p>';
    const created = await add(org, signature({ html }));
    const resp = await update(org, created.id ?? "", { type: "signature", name: "Renamed" });
    const updated = expectBody(resp, 200, SettingSchema);
    expect(updated.name).toBe("Renamed");
    expect(updated.html).toBe(created.html);
  });

  it("sanitizes updated signature html", async () => {
    const org = uniqueOrg();
    const created = await add(org, signature());
    const html = '<p onclick="x()">Hi</p><script>alert(1)</script><a href="javascript:alert(1)">l</a>';
    const resp = await update(org, created.id ?? "", { type: "signature", html });
    const updated = expectBody(resp, 200, SettingSchema);
    // The unsafe href is removed, attribute and all (parse5's serializer has no bare `href`).
    expect(updated.html).toBe("<p>Hi</p><a>l</a>");
  });

  it("validates the merged setting per type", async () => {
    const org = uniqueOrg();
    const sig = await add(org, signature());
    const domain = await add(org, { type: "email_domain", value: "example.com" });
    const white = await add(org, { type: "whitelist_email_address", value: "a@example.com" });
    const address = await add(org, { type: "email_address", value: "b@example.com" });
    const window = await add(org, { type: "restrict_duplicates_within", value: "10s" });

    const cases: Array<[Setting, Record<string, unknown>, RegExp]> = [
      [sig, { type: "signature", name: "  " }, /name/],
      [sig, { type: "signature", html: "<script>x</script>" }, /html/],
      [domain, { type: "email_domain", value: "localhost" }, /value/],
      [white, { type: "whitelist_email_address", value: "nope" }, /value/],
      [address, { type: "email_address", value: "" }, /value/],
      [window, { type: "restrict_duplicates_within", value: "later" }, /value/],
    ];
    for (const [setting, body, pattern] of cases) {
      expectError(await update(org, setting.id ?? "", body), 400, pattern);
      const stored = expectBody(await getOne(org, setting.type, setting.id ?? ""), 200, SettingSchema);
      expect(stored).toEqual(setting);
    }
  });

  it("normalizes updated values like add", async () => {
    const org = uniqueOrg();
    const domain = await add(org, { type: "email_domain", value: "example.com" });
    const white = await add(org, { type: "whitelist_email_address", value: "a@example.com" });
    const window = await add(org, { type: "restrict_duplicates_within", value: "10s" });

    // A domain carries verification state, so it is never renamed in place (delete and add instead);
    // the same name in another spelling is not a rename.
    expectError(
      await update(org, domain.id ?? "", { type: "email_domain", value: "New.Example.ORG." }),
      400,
      /value: a domain cannot be renamed/,
    );
    const d = expectBody(
      await update(org, domain.id ?? "", { type: "email_domain", value: "Example.COM." }),
      200,
      SettingSchema,
    );
    expect(d.value).toBe("example.com");
    const w = expectBody(
      await update(org, white.id ?? "", { type: "whitelist_email_address", value: " B@Example.com" }),
      200,
      SettingSchema,
    );
    expect(w.value).toBe("b@example.com");
    const r = expectBody(
      await update(org, window.id ?? "", { type: "restrict_duplicates_within", value: "-2h" }),
      200,
      DuplicateWindowSchema,
    );
    expect(r).toMatchObject({ id: window.id, value: "2h", duration_ms: 7_200_000 });
    const n = expectBody(
      await update(org, window.id ?? "", { type: "restrict_duplicates_within", value: 0 }),
      200,
      DuplicateWindowSchema,
    );
    expect(n).toMatchObject({ value: "0", duration_ms: 0 });

    expect((await list(org, "email_domain")).map((s) => s.value)).toEqual(["example.com"]);
    expect((await list(org, "whitelist_email_address")).map((s) => s.value)).toEqual(["b@example.com"]);
    expect((await list(org, "restrict_duplicates_within")).map((s) => s.value)).toEqual(["0"]);
  });

  it("keeps a restrict_duplicates_within value when only other fields change", async () => {
    const org = uniqueOrg();
    const window = await add(org, { type: "restrict_duplicates_within", value: "-5m" });
    const resp = await update(org, window.id ?? "", { type: "restrict_duplicates_within", name: "Dedup" });
    expect(expectBody(resp, 200, DuplicateWindowSchema)).toMatchObject({
      name: "Dedup",
      value: "5m",
      duration_ms: 300_000,
    });
  });

  it("refuses a change of type with 400", async () => {
    const org = uniqueOrg();
    const created = await add(org, { type: "email_domain", value: "example.com" });
    const resp = await update(org, created.id ?? "", { type: "email_address", value: "a@example.com" });
    expectError(resp, 400, /type/);
    expect(expectBody(await getOne(org, "email_domain", created.id ?? ""), 200, SettingSchema)).toEqual(created);
    expect(await list(org, "email_address")).toEqual([]);
  });

  it("requires a valid type in the body", async () => {
    const org = uniqueOrg();
    const created = await add(org, { type: "email_domain", value: "example.com" });
    expectError(await update(org, created.id ?? "", { value: "other.com" }), 400, /type/);
    expectError(await update(org, created.id ?? "", { type: "nope", value: "other.com" }), 400, /type/);
    expect(expectBody(await getOne(org, "email_domain", created.id ?? ""), 200, SettingSchema)).toEqual(created);
  });

  it("refuses a value another setting of the type already has with 409", async () => {
    const org = uniqueOrg();
    await add(org, { type: "whitelist_email_address", value: "a@example.com" });
    const b = await add(org, { type: "whitelist_email_address", value: "b@example.com" });
    const resp = await update(org, b.id ?? "", { type: "whitelist_email_address", value: "A@example.com" });
    expectError(resp, 409, /a@example\.com/);
    expect((await list(org, "whitelist_email_address")).map((s) => s.value)).toEqual([
      "a@example.com",
      "b@example.com",
    ]);

    await add(org, { type: "email_domain", value: "one.com" });
    const two = await add(org, { type: "email_domain", value: "two.com" });
    expectError(await update(org, two.id ?? "", { type: "email_domain", value: "ONE.com" }), 400, /renamed/);

    await add(org, { type: "email_address", value: "x@example.com" });
    const y = await add(org, { type: "email_address", value: "y@example.com" });
    expectError(await update(org, y.id ?? "", { type: "email_address", value: "x@example.com" }), 409);
  });

  it("accepts the setting's own value again", async () => {
    const org = uniqueOrg();
    const created = await add(org, { type: "email_domain", value: "example.com" });
    const resp = await update(org, created.id ?? "", { type: "email_domain", value: "EXAMPLE.COM", name: "Main" });
    expect(expectBody(resp, 200, SettingSchema)).toMatchObject({ value: "example.com", name: "Main" });
  });

  it("cannot override server-owned fields through additional properties", async () => {
    const org = uniqueOrg();
    const created = await add(org, signature(), "alice");
    const resp = await update(org, created.id ?? "", {
      type: "signature",
      id: "other-id",
      org_id: "other-org",
      created_at: "2000-01-01T00:00:00.000Z",
      created_by: "mallory",
    });
    const updated = expectBody(resp, 200, SettingSchema);
    expect(updated).toMatchObject({ id: created.id, org_id: org, created_at: created.created_at, created_by: "alice" });
    expectError(await getOne(org, "signature", "other-id"), 404);
  });

  it("answers 404 for an unknown id", async () => {
    const org = uniqueOrg();
    expectError(await update(org, "ghost", signature()), 404, /ghost/);
    expect(await list(org, "signature")).toEqual([]);
  });

  it("answers 404 for another org's setting and leaves it alone", async () => {
    const orgA = uniqueOrg("a");
    const orgB = uniqueOrg("b");
    const theirs = await add(orgA, signature({ name: "A's" }));
    expectError(await update(orgB, theirs.id ?? "", signature({ name: "Hijacked" })), 404);
    expect(expectBody(await getOne(orgA, "signature", theirs.id ?? ""), 200, SettingSchema)).toEqual(theirs);
    expect(await list(orgB, "signature")).toEqual([]);
  });
});

describe("DELETE /v1/email-settings", () => {
  it("returns the deleted setting and removes it", async () => {
    const org = uniqueOrg();
    const keep = await add(org, { type: "whitelist_email_address", value: "keep@example.com" });
    const doomed = await add(org, { type: "whitelist_email_address", value: "gone@example.com", note: "bye" });
    const resp = await remove(org, doomed.id ?? "", "whitelist_email_address");
    expect(expectBody(resp, 200, SettingSchema)).toEqual(doomed);
    expectError(await getOne(org, "whitelist_email_address", doomed.id ?? ""), 404);
    expect(await list(org, "whitelist_email_address")).toEqual([keep]);
  });

  it("frees a unique value for reuse", async () => {
    const org = uniqueOrg();
    const first = await add(org, { type: "email_domain", value: "example.com" });
    expect((await remove(org, first.id ?? "", "email_domain")).status).toBe(200);
    const again = await add(org, { type: "email_domain", value: "example.com" });
    expect(again.id).not.toBe(first.id);
  });

  it("answers 404 for an unknown id, and the second time", async () => {
    const org = uniqueOrg();
    expectError(await remove(org, "ghost", "signature"), 404, /ghost/);
    const created = await add(org, signature());
    expect((await remove(org, created.id ?? "", "signature")).status).toBe(200);
    expectError(await remove(org, created.id ?? "", "signature"), 404);
  });

  it("answers 404 when the type does not match and keeps the setting", async () => {
    const org = uniqueOrg();
    const created = await add(org, signature());
    expectError(await remove(org, created.id ?? "", "email_domain"), 404);
    expect(await list(org, "signature")).toEqual([created]);
  });

  it("answers 404 for another org's setting and keeps it", async () => {
    const orgA = uniqueOrg("a");
    const orgB = uniqueOrg("b");
    const theirs = await add(orgA, signature());
    expectError(await remove(orgB, theirs.id ?? "", "signature"), 404);
    expect(await list(orgA, "signature")).toEqual([theirs]);
  });

  it.each([
    [{}, /type|id/],
    [{ id: "x" }, /type/],
    [{ type: "signature" }, /id/],
    [{ id: "", type: "signature" }, /id/],
    [{ id: "x", type: "bogus" }, /type/],
  ])("refuses the body %j with 400", async (body, pattern) => {
    const org = uniqueOrg();
    expectError(await call("DELETE", SETTINGS, { org, body }), 400, pattern);
  });

  it("clears default_signature_id on every address that used the deleted signature", async () => {
    const org = uniqueOrg();
    const doomed = await add(org, signature({ name: "Doomed" }));
    const other = await add(org, signature({ name: "Other" }));
    for (const [address, sig] of [
      ["a@example.com", doomed.id],
      ["b@example.com", doomed.id],
      ["c@example.com", other.id],
      ["d@example.com", undefined],
    ] as const) {
      const resp = await call("POST", ADDRESSES, {
        org,
        body: { address, ...(sig !== undefined && { default_signature_id: sig }) },
      });
      expect(expectBody(resp, 201, EmailAddressResponseSchema).default_signature_id).toBe(sig);
    }

    expect(expectBody(await remove(org, doomed.id ?? "", "signature"), 200, SettingSchema).id).toBe(doomed.id);

    const signatureOf = async (address: string) => {
      const resp = await call("GET", `${ADDRESSES}/${address}`, { org });
      const body = expectBody(resp, 200, EmailAddressResponseSchema);
      return { has: "default_signature_id" in body, id: body.default_signature_id };
    };
    expect(await signatureOf("a@example.com")).toEqual({ has: false, id: undefined });
    expect(await signatureOf("b@example.com")).toEqual({ has: false, id: undefined });
    expect(await signatureOf("c@example.com")).toEqual({ has: true, id: other.id });
    expect(await signatureOf("d@example.com")).toEqual({ has: false, id: undefined });
    expect(await list(org, "signature")).toEqual([other]);
  });

  it("leaves another org's addresses alone when a signature is deleted", async () => {
    const orgA = uniqueOrg("a");
    const orgB = uniqueOrg("b");
    const sigA = await add(orgA, signature());
    const sigB = await add(orgB, signature());
    await call("POST", ADDRESSES, { org: orgB, body: { address: "b@example.com", default_signature_id: sigB.id } });
    expect((await remove(orgA, sigA.id ?? "", "signature")).status).toBe(200);
    const resp = await call("GET", `${ADDRESSES}/b@example.com`, { org: orgB });
    expect(expectBody(resp, 200, EmailAddressResponseSchema).default_signature_id).toBe(sigB.id);
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
