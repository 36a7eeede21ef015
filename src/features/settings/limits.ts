import { badRequest } from "@/lib/errors";
import { SETTING_EXTRA_LIMITS, SETTING_NAME_MAX_CHARS, SETTING_NAME_TOO_LONG } from "@/shared/setting-limits";
import { RESERVED_KEYS, type SettingFields } from "./fields";

const { maxProperties, maxNameChars, maxDepth, maxBytes } = SETTING_EXTRA_LIMITS;

/** The additional (unknown) properties of a setting: what is stored in `extra`. */
export const extraProperties = (fields: SettingFields): Record<string, unknown> =>
  Object.fromEntries(Object.entries(fields).filter(([key]) => !RESERVED_KEYS.has(key)));

/** True when the request sends any additional property. */
export const hasExtraProperties = (fields: SettingFields): boolean =>
  Object.keys(fields).some((key) => !RESERVED_KEYS.has(key));

/**
 * Whether `value` nests objects/arrays deeper than `limit`. Stops descending past the limit, so hostile
 * nesting costs no deep recursion (and JSON.stringify, run after, cannot overflow the stack).
 */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== "object") return false;
  if (limit === 0) return true;
  const children = Array.isArray(value) ? value : Object.values(value);
  return children.some((child) => nestsDeeperThan(child, limit - 1));
}

/** 400 naming the limit when a setting's `name` is too long. */
export function assertNameWithinLimit(name: unknown): void {
  if (typeof name === "string" && name.length > SETTING_NAME_MAX_CHARS) {
    throw badRequest(`name: ${SETTING_NAME_TOO_LONG}`);
  }
}

/**
 * 400 naming the limit when the additional properties of `fields` are too many, have too long a name,
 * nest too deeply or are too large together. Checked cheapest first, before anything is sanitized.
 */
export function assertExtraWithinLimits(fields: SettingFields): void {
  const extra = extraProperties(fields);
  const names = Object.keys(extra);
  if (names.length > maxProperties) {
    throw badRequest(`additional properties: at most ${maxProperties} are allowed (got ${names.length})`);
  }
  if (names.some((name) => name.length > maxNameChars)) {
    throw badRequest(`additional properties: names must be at most ${maxNameChars} characters`);
  }
  const deep = names.find((name) => nestsDeeperThan(extra[name], maxDepth));
  if (deep !== undefined) {
    throw badRequest(`additional properties: '${deep}' nests objects and arrays more than ${maxDepth} deep`);
  }
  const bytes = new TextEncoder().encode(JSON.stringify(extra)).byteLength;
  if (bytes > maxBytes) {
    throw badRequest(`additional properties: at most ${maxBytes} bytes of JSON together are allowed (got ${bytes})`);
  }
}
