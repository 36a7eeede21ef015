import { and, eq, sql } from "drizzle-orm";
import { getDb, isUniqueViolation, nowIso } from "@/db/client";
import { emailAddresses, settings } from "@/db/schema";
import { badRequest, conflict, notFound } from "@/lib/errors";
import type { AppRouteHandler } from "@/lib/types";
import { addDomain, domainConfig } from "@/services/domains/domains";
import {
  findSetting,
  listSettings,
  normalizeSetting,
  toSettingResponse,
  uniqueConflictMessage,
} from "@/services/settings/settings";
import type { AddSettingRoute, DeleteSettingRoute, GetSettingsRoute, UpdateSettingRoute } from "./settings.routes";

const settingNotFound = (id: string) => notFound(`Setting '${id}' not found`);

export const getSettings: AppRouteHandler<GetSettingsRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { type, id } = c.req.valid("query");
  const db = getDb(c.env.DB);
  if (id) {
    const row = await findSetting(db, orgId, id, type);
    if (!row) throw settingNotFound(id);
    return c.json(toSettingResponse(row), 200);
  }
  const rows = await listSettings(db, orgId, type);
  return c.json(rows.map(toSettingResponse), 200);
};

export const addSetting: AppRouteHandler<AddSettingRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const input = c.req.valid("json");
  const normalized = normalizeSetting(input.type, input);
  const db = getDb(c.env.DB);
  const now = nowIso();
  if (input.type === "email_domain") {
    // A legacy email_domain setting is a custom domain: the same rules and verification state apply.
    const entry = await addDomain(db, orgId, userId ?? null, normalized.value ?? "", domainConfig(c.env), normalized);
    return c.json(toSettingResponse(entry.setting), 200);
  }
  const values = {
    id: crypto.randomUUID(),
    orgId,
    type: input.type,
    ...normalized,
    createdAt: now,
    updatedAt: now,
    createdBy: userId,
    updatedBy: userId,
  };
  try {
    const insert = db.insert(settings).values(values);
    // restrict_duplicates_within is one per org: adding it again replaces the value in place.
    const row =
      input.type === "restrict_duplicates_within"
        ? await insert
            .onConflictDoUpdate({
              target: [settings.orgId, settings.type, settings.uniqueKey],
              targetWhere: isSingletonKey,
              set: {
                name: normalized.name,
                value: normalized.value,
                extra: normalized.extra,
                updatedAt: now,
                updatedBy: userId,
              },
            })
            .returning()
            .get()
        : await insert.returning().get();
    return c.json(toSettingResponse(row), 200);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(uniqueConflictMessage(input.type, normalized.value));
    throw err;
  }
};

/** Must match the partial unique index's WHERE clause for SQLite to use it as the upsert target. */
const isSingletonKey = sql`unique_key IS NOT NULL`;

export const updateSetting: AppRouteHandler<UpdateSettingRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const { id } = c.req.valid("param");
  const input = c.req.valid("json");
  const db = getDb(c.env.DB);
  const existing = await findSetting(db, orgId, id);
  if (!existing) throw settingNotFound(id);
  if (existing.type !== input.type) {
    throw badRequest(`type: setting '${id}' is a ${existing.type} setting; its type cannot change`);
  }
  // Partial update: fields the request leaves out keep their stored values.
  const merged = {
    ...existing.extra,
    name: existing.name ?? undefined,
    value: existing.value ?? undefined,
    html: existing.html ?? undefined,
    ...input,
  };
  const normalized = normalizeSetting(existing.type, merged);
  if (existing.type === "email_domain" && normalized.value !== existing.value) {
    throw badRequest("value: a domain cannot be renamed; delete it and add the new domain instead");
  }
  try {
    const row = await db
      .update(settings)
      .set({ ...normalized, updatedAt: nowIso(), updatedBy: userId })
      .where(and(eq(settings.orgId, orgId), eq(settings.id, existing.id)))
      .returning()
      .get();
    if (!row) throw settingNotFound(id);
    return c.json(toSettingResponse(row), 200);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(uniqueConflictMessage(existing.type, normalized.value));
    throw err;
  }
};

export const deleteSetting: AppRouteHandler<DeleteSettingRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const { id, type } = c.req.valid("json");
  const db = getDb(c.env.DB);
  const existing = await findSetting(db, orgId, id, type);
  if (!existing) throw settingNotFound(id);
  // A deleted signature must not linger as any address's default: both change in one transaction.
  const [, deleted] = await db.batch([
    db
      .update(emailAddresses)
      .set({ defaultSignatureId: null, updatedAt: nowIso(), updatedBy: userId })
      .where(and(eq(emailAddresses.orgId, orgId), eq(emailAddresses.defaultSignatureId, existing.id))),
    db
      .delete(settings)
      .where(and(eq(settings.orgId, orgId), eq(settings.id, existing.id)))
      .returning(),
  ]);
  const row = deleted[0];
  if (!row) throw settingNotFound(id);
  return c.json(toSettingResponse(row), 200);
};
