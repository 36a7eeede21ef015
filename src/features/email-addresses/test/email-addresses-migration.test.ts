import { env } from "cloudflare:workers";
import { uniqueOrg } from "@test/helpers/api";
import { epilot, get, list, provision } from "@test/helpers/email-addresses";
import { list as listSettings } from "@test/helpers/settings";
import { describe, expect, it } from "vitest";

/**
 * Migration 0015 canonicalizes the addresses earlier versions stored with a trailing dot. The test seeds
 * such rows as those versions wrote them, runs the migration's statements again and reads the result
 * through the API.
 */
async function runMigration() {
  const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0015_"));
  expect(migration).toBeDefined();
  for (const query of migration?.queries ?? []) await env.DB.prepare(query).run();
}

let clock = 0;
/** Rows in creation order: each seeded row is one second younger than the one before. */
const nextCreatedAt = () => new Date(Date.UTC(2025, 0, 1, 0, 0, clock++)).toISOString();

interface SeededAddress {
  address: string;
  primary?: boolean;
  active?: boolean;
}

async function seedAddresses(org: string, rows: SeededAddress[]): Promise<string[]> {
  const ids = rows.map(() => crypto.randomUUID());
  await env.DB.batch(
    rows.map((row, i) => {
      const createdAt = nextCreatedAt();
      return env.DB.prepare(
        `INSERT INTO email_addresses (id, org_id, address, is_active, is_primary, is_epilot_email_address, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?6)`,
      ).bind(ids[i], org, row.address, row.active === false ? 0 : 1, row.primary ? 1 : 0, createdAt);
    }),
  );
  return ids;
}

async function seedSettings(org: string, rows: { type: string; value: string }[]) {
  await env.DB.batch(
    rows.map((row) => {
      const createdAt = nextCreatedAt();
      return env.DB.prepare(
        `INSERT INTO settings (id, org_id, type, value, unique_key, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?5)`,
      ).bind(crypto.randomUUID(), org, row.type, row.value, createdAt);
    }),
  );
}

const state = async (org: string) =>
  (await list(org)).map((r) => [r.address, r.is_active, r.is_primary, r.is_epilot_email_address]);

describe("migration 0015: canonical email addresses", () => {
  it("deactivates a platform address added with a trailing dot and hands its primary role on", async () => {
    const holder = uniqueOrg();
    const org = uniqueOrg();
    const address = epilot("support");
    await seedAddresses(org, [
      { address: "old@example.com", active: false },
      { address: `${address}.`, primary: true },
      { address: "other@example.com." },
      { address: "later@example.com" },
    ]);
    const held = await provision(holder, address);
    await runMigration();
    expect(await state(org)).toEqual([
      ["old@example.com", false, false, false],
      [`${address}.`, false, false, false],
      ["other@example.com", true, true, false],
      ["later@example.com", true, false, false],
    ]);
    expect(await list(holder)).toEqual([held]);
  });

  it("leaves the primary of an org alone, and gives none to an org that had none", async () => {
    const withPrimary = uniqueOrg();
    const withoutPrimary = uniqueOrg();
    await seedAddresses(withPrimary, [
      { address: "main@example.com", primary: true },
      { address: "team@eu.epilot.cloud." },
    ]);
    await seedAddresses(withoutPrimary, [{ address: "help@epilot.cloud." }, { address: "desk@example.com" }]);
    await runMigration();
    expect(await state(withPrimary)).toEqual([
      ["main@example.com", true, true, false],
      ["team@eu.epilot.cloud.", false, false, false],
    ]);
    expect(await state(withoutPrimary)).toEqual([
      ["help@epilot.cloud.", false, false, false],
      ["desk@example.com", true, false, false],
    ]);
  });

  it("canonicalizes an address without a twin and keeps both spellings of one that has a twin", async () => {
    const org = uniqueOrg();
    const other = uniqueOrg();
    const [soloId, twinDotId, twinId] = await seedAddresses(org, [
      { address: "solo@example.com." },
      { address: "twin@example.com." },
      { address: "twin@example.com" },
    ]);
    // The same spelling in another org is no conflict.
    await seedAddresses(other, [{ address: "solo@example.com" }]);
    await runMigration();
    expect((await list(org)).map((r) => [r.id, r.address])).toEqual([
      [soloId, "solo@example.com"],
      [twinDotId, "twin@example.com."],
      [twinId, "twin@example.com"],
    ]);
    expect((await get(org, "solo@example.com.")).id).toBe(soloId);
    // The twin left as stored is reached by its id; its address names the canonical row.
    expect((await get(org, twinDotId ?? "")).address).toBe("twin@example.com.");
    expect((await get(org, "twin@example.com.")).id).toBe(twinId);
    expect((await list(other)).map((r) => r.address)).toEqual(["solo@example.com"]);
  });

  it("canonicalizes legacy address settings unless the org has the same canonical value", async () => {
    const org = uniqueOrg();
    await seedSettings(org, [
      { type: "email_address", value: "sales@example.com." },
      { type: "whitelist_email_address", value: "vip@example.com." },
      { type: "whitelist_email_address", value: "both@example.com." },
      { type: "whitelist_email_address", value: "both@example.com" },
    ]);
    await runMigration();
    expect((await listSettings(org, "email_address")).map((s) => s.value)).toEqual(["sales@example.com"]);
    expect((await listSettings(org, "whitelist_email_address")).map((s) => s.value)).toEqual([
      "vip@example.com",
      "both@example.com.",
      "both@example.com",
    ]);
  });
});
