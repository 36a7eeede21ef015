import { expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { add, DuplicateWindowSchema, getOne, list, signature, update } from "@test/helpers/settings";
import { describe, expect, it } from "vitest";
import { type Setting, SettingSchema } from "@/features/settings/settings.schemas";

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
