import { env } from "cloudflare:workers";
import { call, expectBody, uniqueOrg } from "@test/helpers/api";
import { add, getOne, list, remove, seedSetting, signature, storedSetting, update } from "@test/helpers/settings";
import { describe, expect, it } from "vitest";
import { servicesFor } from "@/entry/services";
import { SettingSchema } from "@/features/settings/settings.schemas";
import { SIGNATURE_SANITIZER_VERSION } from "@/features/settings/signature-html";
import { refreshStoredSignatures } from "@/features/settings/signature-refresh";
import type { AppEnv } from "@/lib/types";

/** Markup the sanitizer changes: an event handler it drops. Served unchanged only if nothing sanitized it. */
const UNSANITIZED_MARKER = '<p><b onclick="marker()">as stored</b></p>';

/** Markup an earlier sanitizer let through: a `java&Tab;script:` link and a script. */
const STALE_MARKUP = '<p>Hi <a href="java&Tab;script:alert(1)">link</a><script>alert(2)</script></p>';

const seedSignature = (org: string, html: string, sanitizerVersion: string | null) =>
  seedSetting(org, { type: "signature", name: "Seeded", html, value: html, sanitizerVersion });

const expectClean = (markup: string | null | undefined) => {
  expect(markup).toContain("link</a>");
  expect(markup).not.toMatch(/script|alert/i);
};

describe("signature markup is sanitized once, when written", () => {
  it("stores new and changed signatures with the current sanitizer version", async () => {
    const org = uniqueOrg();
    const created = await add(org, signature({ html: '<p onclick="x()">Hi</p>' }));
    expect(created.html).toBe("<p>Hi</p>");
    const stored = await storedSetting(created.id ?? "");
    expect(stored).toMatchObject({ html: "<p>Hi</p>", sanitizerVersion: SIGNATURE_SANITIZER_VERSION });
    expect((await update(org, created.id ?? "", { type: "signature", html: "<i>Bye</i>" })).status).toBe(200);
    expect(await storedSetting(created.id ?? "")).toMatchObject({
      html: "<i>Bye</i>",
      sanitizerVersion: SIGNATURE_SANITIZER_VERSION,
    });
  });

  it("serves a current-version row exactly as stored, in the list and by id (no sanitizer on read)", async () => {
    const org = uniqueOrg();
    const seeded = await seedSignature(org, UNSANITIZED_MARKER, SIGNATURE_SANITIZER_VERSION);
    const [listed] = await list(org, "signature");
    expect(listed?.html).toBe(UNSANITIZED_MARKER);
    expect(listed?.value).toBe(UNSANITIZED_MARKER);
    const one = expectBody(await getOne(org, "signature", seeded.id), 200, SettingSchema);
    expect(one.html).toBe(UNSANITIZED_MARKER);
    expect(await storedSetting(seeded.id)).toEqual(seeded);
  });

  it.each([
    ["stored before versions were kept", null],
    ["stored by an earlier sanitizer", "signature-0-00000000"],
  ])("re-sanitizes a row %s on read and writes it back once", async (_, version) => {
    const org = uniqueOrg();
    const seeded = await seedSignature(org, STALE_MARKUP, version);
    const [listed] = await list(org, "signature");
    expectClean(listed?.html);
    expectClean(listed?.value);
    const stored = await storedSetting(seeded.id);
    expect(stored).toMatchObject({
      html: listed?.html,
      value: listed?.value,
      sanitizerVersion: SIGNATURE_SANITIZER_VERSION,
      // Re-sanitizing is no edit.
      updatedAt: seeded.updatedAt,
    });
    const one = expectBody(await getOne(org, "signature", seeded.id), 200, SettingSchema);
    expect(one).toEqual(listed);
  });

  it("re-sanitizes a stale row read by id", async () => {
    const org = uniqueOrg();
    const seeded = await seedSignature(org, STALE_MARKUP, null);
    const one = expectBody(await getOne(org, "signature", seeded.id), 200, SettingSchema);
    expectClean(one.html);
    expect((await storedSetting(seeded.id))?.sanitizerVersion).toBe(SIGNATURE_SANITIZER_VERSION);
  });

  it("never answers stale markup from a delete either", async () => {
    const org = uniqueOrg();
    const seeded = await seedSignature(org, STALE_MARKUP, null);
    const deleted = await remove(org, seeded.id, "signature");
    expect(deleted.status).toBe(200);
    expectClean((deleted.body as { html?: string }).html);
  });

  it("the hourly refresh re-sanitizes stale rows of every org, leaving current ones alone", async () => {
    const orgA = uniqueOrg("a");
    const orgB = uniqueOrg("b");
    const staleA = await seedSignature(orgA, STALE_MARKUP, null);
    const staleB = await seedSignature(orgB, STALE_MARKUP, "signature-0-00000000");
    const current = await seedSignature(orgB, UNSANITIZED_MARKER, SIGNATURE_SANITIZER_VERSION);
    // Other test files' rows may be stale too: run until this file's rows are done (each run is bounded).
    for (
      let run = 0;
      run < 20 && (await refreshStoredSignatures(servicesFor(env as unknown as AppEnv), 50)) > 0;
      run++
    );
    for (const id of [staleA.id, staleB.id]) {
      const stored = await storedSetting(id);
      expect(stored?.sanitizerVersion).toBe(SIGNATURE_SANITIZER_VERSION);
      expectClean(stored?.html);
    }
    expect(await storedSetting(current.id)).toEqual(current);
  });

  it("an update of a stale row stores the merged markup sanitized by the current sanitizer", async () => {
    const org = uniqueOrg();
    const seeded = await seedSignature(org, STALE_MARKUP, null);
    const renamed = await call("POST", `/v1/email-settings/${seeded.id}`, {
      org,
      body: { type: "signature", name: "Renamed" },
    });
    expect(renamed.status).toBe(200);
    const stored = await storedSetting(seeded.id);
    expect(stored?.name).toBe("Renamed");
    expect(stored?.sanitizerVersion).toBe(SIGNATURE_SANITIZER_VERSION);
    expectClean(stored?.html);
  });
});
