import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { getDb } from "@/db/client";
import { settings } from "@/db/schema";
import { SettingSchema } from "@/features/settings/settings.schemas";
import { call, expectBody, expectError, uniqueOrg } from "../helpers/api";

/**
 * Signature settings through the API: sizes are bounded before the
 * sanitizer sees anything, attribute floods are handled, and stored markup is served sanitized.
 */
const SETTINGS = "/v1/email-settings";
const MAX = 64 * 1024;

const post = (org: string, body: Record<string, unknown>) => call("POST", SETTINGS, { org, body });
const list = async (org: string) =>
  expectBody(await call("GET", `${SETTINGS}?type=signature`, { org }), 200, z.array(SettingSchema));

describe("setting sizes", () => {
  it("refuses a 512 KiB html field with a 400 naming the field, storing nothing", async () => {
    const org = uniqueOrg();
    const html = `<p ${"x ".repeat(256 * 1024)}>`;
    expect(html.length).toBeGreaterThan(512 * 1024);
    expectError(await post(org, { type: "signature", name: "S", html }), 400, /html: must be at most 65536 characters/);
    expect(await list(org)).toEqual([]);
  });

  it("accepts html of exactly 64 KiB and refuses one character more", async () => {
    const org = uniqueOrg();
    const html = `<p>${"a".repeat(MAX - 7)}</p>`;
    expect(html.length).toBe(MAX);
    const created = expectBody(await post(org, { type: "signature", name: "S", html }), 200, SettingSchema);
    expect(created.html).toBe(html);
    expectError(await post(org, { type: "signature", name: "S", html: `${html} ` }), 400, /^Invalid request: html:/);
  });

  it("refuses a value over 64 KiB, for any setting type", async () => {
    const org = uniqueOrg();
    const value = "a".repeat(MAX + 1);
    expectError(await post(org, { type: "signature", name: "S", value }), 400, /value: must be at most 65536/);
    expectError(await post(org, { type: "whitelist_email_address", value }), 400, /value: must be at most 65536/);
  });

  it("refuses an oversized html on update too, keeping the stored setting", async () => {
    const org = uniqueOrg();
    const created = expectBody(await post(org, { type: "signature", name: "S", html: "<b>x</b>" }), 200, SettingSchema);
    const body = { type: "signature", html: "a".repeat(MAX + 1) };
    expectError(await call("POST", `${SETTINGS}/${created.id}`, { org, body }), 400, /html: must be at most/);
    expect(await list(org)).toEqual([created]);
  });
});

describe("attribute floods", () => {
  it('handles "<p " + "x ".repeat(20000) + ">" (the quadratic js-xss case)', async () => {
    const org = uniqueOrg();
    const html = `<p ${"x ".repeat(20000)}>Jane</p>`;
    const created = expectBody(await post(org, { type: "signature", name: "S", html }), 200, SettingSchema);
    expect(created.html).toBe("<p>Jane</p>");
  });

  it("considers only the first 64 attributes of an element", async () => {
    const org = uniqueOrg();
    const names = Array.from({ length: 100 }, (_, i) => `data-a${i}="1"`).join(" ");
    const html = `<p title="first" ${names} class="late">Jane</p><p ${names}>Doe</p>`;
    const created = expectBody(await post(org, { type: "signature", name: "S", html }), 200, SettingSchema);
    expect(created.html).toBe('<p title="first">Jane</p><p>Doe</p>');
  });
});

describe("signature links as a browser reads them", () => {
  it.each([
    ['<a href="java&Tab;script:alert(1)">x</a>', "<a>x</a>"],
    ['<a href="&#38;#106;avascript:alert(1)">x</a>', '<a href="&amp;#106;avascript:alert(1)">x</a>'],
  ])("stores %s as %s", async (html, stored) => {
    const org = uniqueOrg();
    const created = expectBody(await post(org, { type: "signature", name: "s", html }), 200, SettingSchema);
    expect(created.html).toBe(stored);
    expect((await list(org)).map((s) => s.html)).toEqual([stored]);
  });
});

describe("stored signatures are served sanitized", () => {
  it("answers a row stored by the old sanitizer without its javascript: link", async () => {
    const org = uniqueOrg();
    const id = crypto.randomUUID();
    const now = new Date().toISOString();
    // What the js-xss sanitizer stored for {"html": "<a href=\"java&Tab;script:alert(1)\">x</a>"}.
    const legacy = '<a href="java&Tab;script:alert(1)">x</a><img src="&#38;#106;avascript:x">';
    await getDb(env.DB).insert(settings).values({
      id,
      orgId: org,
      type: "signature",
      name: "Old",
      html: legacy,
      value: legacy,
      createdAt: now,
      updatedAt: now,
    });
    const [served] = await list(org);
    expect(served?.html).toBe('<a>x</a><img src="&amp;#106;avascript:x">');
    expect(served?.value).toBe(served?.html);
    const one = expectBody(await call("GET", `${SETTINGS}?type=signature&id=${id}`, { org }), 200, SettingSchema);
    expect(one.html).toBe(served?.html);
  });
});
