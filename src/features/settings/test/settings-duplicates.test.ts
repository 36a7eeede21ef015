import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { add, DuplicateWindowSchema, list, SETTINGS } from "@test/helpers/settings";
import { describe, expect, it } from "vitest";

describe("POST /v1/email-settings (add)", () => {
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
