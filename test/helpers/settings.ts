import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { getDb } from "@/db/client";
import { type SettingRow, settings } from "@/db/schema";
import { type Setting, SettingSchema } from "@/features/settings/settings.schemas";
import { call, expectBody } from "./api";

/** Calls of the legacy settings API for test/settings-*.test.ts. */
export const SETTINGS = "/v1/email-settings";
export const ADDRESSES = "/v2/email-settings/email-addresses";
export const SettingListSchema = z.array(SettingSchema);

/** A restrict_duplicates_within setting carries its window in milliseconds. */
export const DuplicateWindowSchema = SettingSchema.extend({ value: z.string(), duration_ms: z.number().int().min(0) });

export async function add(org: string, body: Record<string, unknown>, user?: string) {
  return expectBody(await call("POST", SETTINGS, { org, user, body }), 200, SettingSchema);
}

export async function update(org: string, id: string, body: Record<string, unknown>, user?: string) {
  return call("POST", `${SETTINGS}/${encodeURIComponent(id)}`, { org, user, body });
}

export async function getOne(org: string, type: string, id: string) {
  return call("GET", `${SETTINGS}?type=${type}&id=${encodeURIComponent(id)}`, { org });
}

export async function list(org: string, type: string): Promise<Setting[]> {
  return expectBody(await call("GET", `${SETTINGS}?type=${type}`, { org }), 200, SettingListSchema);
}

export async function remove(org: string, id: string, type: string) {
  return call("DELETE", SETTINGS, { org, body: { id, type } });
}

export const signature = (extra: Record<string, unknown> = {}) => ({
  type: "signature",
  name: "Default Signature",
  html: "<p>Best regards</p>",
  ...extra,
});

/**
 * Writes a settings row straight into D1, as an earlier version (or another writer) could have stored
 * it: nothing is validated or sanitized.
 */
export async function seedSetting(org: string, fields: Partial<SettingRow> & Pick<SettingRow, "type">) {
  const now = new Date().toISOString();
  const row: SettingRow = {
    id: crypto.randomUUID(),
    orgId: org,
    name: null,
    value: null,
    html: null,
    uniqueKey: null,
    extra: {},
    sanitizerVersion: null,
    createdAt: now,
    updatedAt: now,
    createdBy: null,
    updatedBy: null,
    ...fields,
  };
  await getDb(env.DB).insert(settings).values(row);
  return row;
}

/** The stored settings row of that id, as D1 holds it. */
export function storedSetting(id: string) {
  return getDb(env.DB).select().from(settings).where(eq(settings.id, id)).get();
}
