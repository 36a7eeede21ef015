import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import {
  add,
  list,
  remove,
  SETTINGS,
  SettingListSchema,
  seedSetting,
  signature,
  storedSetting,
  update,
} from "@test/helpers/settings";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "@/lib/types";
import { SETTING_EXTRA_LIMITS } from "@/shared/setting-limits";

const whitelist = (address: string, extra: Record<string, unknown> = {}) => ({
  type: "whitelist_email_address",
  value: address,
  ...extra,
});

/** `count` additional properties `p0`, `p1`, ... */
const properties = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, i]));

/** A value nesting `depth` arrays: depth 2 is `[[1]]`. */
const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);

describe("additional properties of a setting are bounded", () => {
  const { maxProperties, maxNameChars, maxDepth, maxBytes } = SETTING_EXTRA_LIMITS;

  it(`accepts ${maxProperties} additional properties and refuses one more with 400, storing nothing`, async () => {
    const org = uniqueOrg();
    const kept = await add(org, whitelist("a@example.com", properties(maxProperties)));
    expect(kept.p31).toBe(31);
    const body = whitelist("b@example.com", properties(maxProperties + 1));
    expectError(await call("POST", SETTINGS, { org, body }), 400, /at most 32 are allowed \(got 33\)/);
    expect(await list(org, "whitelist_email_address")).toEqual([kept]);
  });

  it(`refuses a property name longer than ${maxNameChars} characters`, async () => {
    const org = uniqueOrg();
    await add(org, signature({ ["n".repeat(maxNameChars)]: true }));
    const body = signature({ ["n".repeat(maxNameChars + 1)]: true });
    expectError(await call("POST", SETTINGS, { org, body }), 400, /names must be at most 64 characters/);
    expect(await list(org, "signature")).toHaveLength(1);
  });

  it(`refuses values nesting deeper than ${maxDepth}, however deep, with 400 (never a 5xx)`, async () => {
    const org = uniqueOrg();
    await add(org, whitelist("ok@example.com", { deep: nested(maxDepth) }));
    const tooDeep = whitelist("deep@example.com", { deep: nested(maxDepth + 1) });
    expectError(await call("POST", SETTINGS, { org, body: tooDeep }), 400, /'deep' nests .* more than 8 deep/);
    // 100,000 levels: deeper than JSON.stringify could walk without overflowing the stack.
    const levels = 100_000;
    const rawBody = `{"type":"whitelist_email_address","value":"x@example.com","deep":${"[".repeat(levels)}${"]".repeat(levels)}}`;
    expectError(await call("POST", SETTINGS, { org, rawBody }), 400, /more than 8 deep/);
    expect((await list(org, "whitelist_email_address")).map((s) => s.value)).toEqual(["ok@example.com"]);
  });

  it(`refuses more than ${maxBytes} bytes of additional properties, counted in UTF-8`, async () => {
    const org = uniqueOrg();
    await add(org, whitelist("fits@example.com", { note: "a".repeat(maxBytes - 20) }));
    // 4,100 characters, but 8,200 bytes: the cap is on what D1 stores.
    const wide = whitelist("wide@example.com", { note: "é".repeat(4100) });
    expectError(await call("POST", SETTINGS, { org, body: wide }), 400, /at most 8192 bytes of JSON together/);
    const huge = whitelist("huge@example.com", { blob: "x".repeat(400_000) });
    expectError(await call("POST", SETTINGS, { org, body: huge }), 400, /got 400011\)/);
    expect((await list(org, "whitelist_email_address")).map((s) => s.value)).toEqual(["fits@example.com"]);
  });

  it("checks the merged properties when an update adds some, and leaves the setting as it was on 400", async () => {
    const org = uniqueOrg();
    const created = await add(org, signature(properties(maxProperties - 1)));
    expectError(await update(org, created.id ?? "", { type: "signature", x: 1, y: 2 }), 400, /got 33/);
    const body = { type: "signature", big: "b".repeat(maxBytes) };
    expectError(await update(org, created.id ?? "", body), 400, /8192 bytes/);
    expect(await list(org, "signature")).toEqual([created]);
    const changed = expectBody(
      await update(org, created.id ?? "", { type: "signature", x: 1 }),
      200,
      SettingListSchema.element,
    );
    expect(changed.x).toBe(1);
  });

  it("lets an update that sends no additional properties through for a row stored over the limits earlier", async () => {
    const org = uniqueOrg();
    const legacy = await seedSetting(org, {
      type: "whitelist_email_address",
      value: "old@example.com",
      uniqueKey: "old@example.com",
      extra: properties(maxProperties + 10),
    });
    const renamed = await update(org, legacy.id, { type: "whitelist_email_address", name: "Old partner" });
    expect(renamed.status).toBe(200);
    expect((await storedSetting(legacy.id))?.name).toBe("Old partner");
    expectError(await update(org, legacy.id, { type: "whitelist_email_address", more: 1 }), 400, /at most 32/);
  });

  it("refuses a name longer than 256 characters on add and update", async () => {
    const org = uniqueOrg();
    const body = signature({ name: "n".repeat(257) });
    expectError(await call("POST", SETTINGS, { org, body }), 400, /name: must be at most 256 characters/);
    const created = await add(org, signature({ name: "n".repeat(256) }));
    const renamed = await update(org, created.id ?? "", { type: "signature", name: "m".repeat(257) });
    expectError(renamed, 400, /name: must be at most 256/);
    expect(await list(org, "signature")).toEqual([created]);
  });
});

describe("settings per organization and type (SETTINGS_PER_TYPE_MAX)", () => {
  const cap: Partial<AppEnv> = { SETTINGS_PER_TYPE_MAX: "3" };
  const post = (org: string, body: Record<string, unknown>) => call("POST", SETTINGS, { org, body, env: cap });

  it("answers 409 naming the cap once the org holds that many settings of the type", async () => {
    const org = uniqueOrg();
    for (const n of [1, 2, 3]) expect((await post(org, whitelist(`w${n}@example.com`))).status).toBe(200);
    expectError(
      await post(org, whitelist("w4@example.com")),
      409,
      /already has 3 whitelist_email_address settings, the most allowed; delete one/,
    );
    expect(await list(org, "whitelist_email_address")).toHaveLength(3);
  });

  it("counts each type and each org on its own, and frees a place when one is deleted", async () => {
    const org = uniqueOrg("a");
    const other = uniqueOrg("b");
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const added = await post(org, signature({ name: `S${n}` }));
      ids.push((added.body as { id: string }).id);
    }
    expectError(await post(org, signature({ name: "S4" })), 409, /3 signature settings/);
    expect((await post(org, whitelist("w@example.com"))).status).toBe(200);
    expect((await post(org, { type: "email_address", value: "sales@example.com" })).status).toBe(200);
    expect((await post(other, signature())).status).toBe(200);
    expect((await remove(org, ids[0] ?? "", "signature")).status).toBe(200);
    expect((await post(org, signature({ name: "S4" }))).status).toBe(200);
    expect((await list(org, "signature")).map((s) => s.name)).toEqual(["S2", "S3", "S4"]);
  });

  it("holds under concurrent adds: exactly the cap is stored, the rest answer 409", async () => {
    const org = uniqueOrg();
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, n) => post(org, whitelist(`race${n}@example.com`))),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 409, 409, 409, 409, 409]);
    expect(await list(org, "whitelist_email_address")).toHaveLength(3);
  });

  it("defaults to 100 per type", async () => {
    const org = uniqueOrg();
    for (let n = 0; n < 100; n++) {
      await seedSetting(org, { type: "signature", name: `S${n}`, html: "<p>x</p>" });
    }
    expectError(await call("POST", SETTINGS, { org, body: signature() }), 409, /already has 100 signature settings/);
    expect(await list(org, "signature")).toHaveLength(100);
  });

  it("keeps a list bounded: every setting at its limits, the list stays within cap x per-setting size", async () => {
    const org = uniqueOrg();
    const note = "n".repeat(SETTING_EXTRA_LIMITS.maxBytes - 20);
    for (const n of [1, 2, 3]) expect((await post(org, whitelist(`big${n}@example.com`, { note }))).status).toBe(200);
    expect((await post(org, whitelist("more@example.com", { note }))).status).toBe(409);
    expect((await post(org, whitelist("huge@example.com", { blob: "x".repeat(400_000) }))).status).toBe(400);
    const listed = await call("GET", `${SETTINGS}?type=whitelist_email_address`, { org });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body).length).toBeLessThan(3 * (SETTING_EXTRA_LIMITS.maxBytes + 1024));
  });
});
