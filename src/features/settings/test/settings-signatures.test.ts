import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { add, getOne, list, SETTINGS, signature } from "@test/helpers/settings";
import { describe, expect, it } from "vitest";
import { SettingSchema } from "@/features/settings/settings.schemas";

describe("POST /v1/email-settings (add)", () => {
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
});
